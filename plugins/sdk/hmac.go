package sdk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Encoding is how a platform writes a signature.
type Encoding int

// Signature encodings.
const (
	// Hex is lower- or upper-case hexadecimal (e.g. GitHub's sha256=...).
	Hex Encoding = iota
	// Base64 is standard base64 with padding (e.g. Shopify's X-Shopify-Hmac-Sha256).
	Base64
)

// SignHMAC returns the HMAC-SHA256 of body under secret, encoded; sandboxes use
// it to sign the webhooks they send.
func SignHMAC(secret, body []byte, enc Encoding) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	sum := m.Sum(nil)
	if enc == Base64 {
		return base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// VerifyHMAC reports whether signature is the HMAC-SHA256 of body under
// secret. The comparison is constant-time; a signature that does not decode,
// or an empty secret, never verifies. A "sha256=" prefix is accepted.
func VerifyHMAC(secret, body []byte, signature string, enc Encoding) bool {
	if len(secret) == 0 {
		return false
	}
	signature = strings.TrimPrefix(strings.TrimSpace(signature), "sha256=")
	var got []byte
	var err error
	if enc == Base64 {
		got, err = base64.StdEncoding.DecodeString(signature)
	} else {
		got, err = hex.DecodeString(signature)
	}
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
