package audit

import (
	"encoding/json"
	"time"
)

// Actors and actions used across the hub; others follow the same patterns.
const (
	// ActorSystem is the hub itself (config loads, scheduled jobs).
	ActorSystem = "system"
	// ActionConfigLoad records a hub.yaml load; After holds the redacted config.
	ActionConfigLoad = "config.load"
	// ActionWebhookRefused records a webhook the hub refused (bad signature,
	// malformed body); Subject is "webhook:INSTANCE".
	ActionWebhookRefused = "webhook.refused"
)

// Entry is one audit record.
type Entry struct {
	// ID is the entry's position in the chain: 1, 2, 3 ... Set by Append.
	ID int64 `json:"id"`
	// At is when the change happened, UTC; Append uses the current time when zero.
	At time.Time `json:"at"`
	// Actor is who made the change: "token:NAME", "connector:NAME", "system".
	Actor string `json:"actor"`
	// Action is what was done, "noun.verb": "order.cancel", "config.load".
	Action string `json:"action"`
	// Subject is what it was done to, "kind:id": "order:1001".
	Subject string `json:"subject,omitempty"`
	// Before and After are the subject's state before and after the change:
	// any value that encodes as JSON (a json.RawMessage is taken as is), or nil.
	// They are scrubbed of card data and secrets before they are stored. Entries
	// read back hold json.RawMessage.
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// RemoteAddr is the client's address for changes made over HTTP.
	RemoteAddr string `json:"remote_addr,omitempty"`
	// PrevHash is the Hash of entry ID-1, "" for entry 1. Set by Append.
	PrevHash string `json:"prev_hash"`
	// Hash is the hex SHA-256 of the entry's canonical encoding. Set by Append.
	Hash string `json:"hash"`
}

// Filter selects entries for List. Zero fields do not filter.
type Filter struct {
	// Actor, Action and Subject match exactly.
	Actor   string
	Action  string
	Subject string
	// Since and Until bound At: Since <= At < Until.
	Since, Until time.Time
	// AfterID and BeforeID bound ID (exclusive), for cursor pagination.
	AfterID, BeforeID int64
	// Limit caps the entries returned: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Newest lists the newest entries first; the default is oldest first.
	Newest bool
}

// List limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// rawOrNil is the Before/After of an entry read back: its stored JSON, or nil.
func rawOrNil(s string) any {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
