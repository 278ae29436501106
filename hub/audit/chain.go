package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"
)

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so stored
// times sort as text and round-trip exactly.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// hashDomain starts every hashed encoding; a new version of the encoding gets
// a new domain string.
const hashDomain = "crossdock.audit.v1"

// row is an entry as stored: every field as the exact text the hash covers.
type row struct {
	id                         int64
	at, actor, action, subject string
	before, after              string // "" when NULL
	remoteAddr, prevHash, hash string
}

// computeHash is the hex SHA-256 of the row's canonical encoding: the domain,
// then each field as an 8-byte big-endian length and its bytes, in a fixed
// order. Lengths make the encoding unambiguous, whatever the fields contain.
func (r row) computeHash() string {
	h := sha256.New()
	var n [8]byte
	for _, f := range []string{
		hashDomain, strconv.FormatInt(r.id, 10), r.at, r.actor, r.action, r.subject,
		r.before, r.after, r.remoteAddr, r.prevHash,
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (r row) entry() Entry {
	at, _ := time.Parse(time.RFC3339Nano, r.at) // verify, not List, judges stored text
	return Entry{
		ID: r.id, At: at, Actor: r.actor, Action: r.action, Subject: r.subject,
		Before: rawOrNil(r.before), After: rawOrNil(r.after), RemoteAddr: r.remoteAddr,
		PrevHash: r.prevHash, Hash: r.hash,
	}
}
