package sdk_test

import (
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func TestVerifyHMAC_AcceptsOnlyTheExactSignature(t *testing.T) {
	secret, body := []byte("hush"), []byte(`{"id":1}`)
	hexSig := sdk.SignHMAC(secret, body, sdk.Hex)
	b64Sig := sdk.SignHMAC(secret, body, sdk.Base64)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		sig    string
		enc    sdk.Encoding
		want   bool
	}{
		{"hex", secret, body, hexSig, sdk.Hex, true},
		{"hex upper case", secret, body, strings.ToUpper(hexSig), sdk.Hex, true},
		{"hex with sha256= prefix", secret, body, "sha256=" + hexSig, sdk.Hex, true},
		{"base64", secret, body, b64Sig, sdk.Base64, true},
		{"other body", secret, []byte(`{"id":2}`), hexSig, sdk.Hex, false},
		{"other secret", []byte("loud"), body, b64Sig, sdk.Base64, false},
		{"base64 read as hex", secret, body, b64Sig, sdk.Hex, false},
		{"truncated", secret, body, hexSig[:40], sdk.Hex, false},
		{"empty signature", secret, body, "", sdk.Hex, false},
		{"empty secret", nil, body, sdk.SignHMAC(nil, body, sdk.Hex), sdk.Hex, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sdk.VerifyHMAC(tt.secret, tt.body, tt.sig, tt.enc); got != tt.want {
				t.Errorf("VerifyHMAC = %v, want %v", got, tt.want)
			}
		})
	}
}
