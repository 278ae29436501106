package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Spec says who a connector is and what it can do.
type Spec struct {
	// Name is the connector type, e.g. "shopify".
	Name string `json:"name"`
	// Version is the connector's semantic version.
	Version string `json:"version"`
	// Description is one line for `crossdock connectors list`.
	Description string `json:"description,omitempty"`
	// ConfigSchema is the JSON Schema (draft 2020-12) of the connector's config.
	ConfigSchema json.RawMessage `json:"config_schema"`
	// Streams are the streams the connector can read.
	Streams []StreamSpec `json:"streams,omitempty"`
	// Actions are the commands the connector can write.
	Actions []canonical.Action `json:"actions,omitempty"`
	// Webhooks says whether the connector verifies and parses webhooks.
	Webhooks bool `json:"webhooks,omitempty"`
	// RateLimits are the platform's documented limits the connector paces itself to.
	RateLimits []RateLimit `json:"rate_limits,omitempty"`
}

// StreamSpec is one readable stream.
type StreamSpec struct {
	// Name is the stream's name, e.g. "orders".
	Name string `json:"name"`
	// Kind is the record kind the stream yields.
	Kind canonical.Kind `json:"kind"`
	// Description says what the stream holds and how it is incremental.
	Description string `json:"description,omitempty"`
}

// RateLimit is one of a platform's limits.
type RateLimit struct {
	// Name names the limit, e.g. "graphql-cost".
	Name string `json:"name"`
	// PerSecond is the sustained rate, in requests (or cost points) per second.
	PerSecond float64 `json:"per_second"`
	// Burst is the bucket size.
	Burst int `json:"burst"`
	// Description says what is counted.
	Description string `json:"description,omitempty"`
}

// Connector is what every connector implements. A connector that reads also
// implements Reader; one that writes, Writer; one that takes webhooks, WebhookHandler.
type Connector interface {
	// Spec describes the connector; it must not depend on configuration.
	Spec() Spec
	// Configure validates and applies the connector's config (JSON). Problems are
	// returned as *ConfigError.
	Configure(ctx context.Context, config json.RawMessage) error
	// Check tests credentials and reachability; a failure is a *CheckError.
	Check(ctx context.Context) error
}

// Batch is a group of records read together, with the cursor that resumes after them.
type Batch struct {
	// Records are the records, in stream order.
	Records []canonical.Record
	// Cursor resumes the stream after the last record; opaque to the hub.
	Cursor []byte
	// Rejects are source items (rows, lines, objects) the connector could not
	// turn into records. They do not stop the stream: the cursor moves past them
	// and the hub sends them to its dead-letter queue with their location.
	Rejects []Reject
}

// Reject is one source item a connector could not map.
type Reject struct {
	// Location says where the item is, precisely enough to fix it, e.g.
	// "orders.csv:12:4 (quantity)" (file, line, column and field).
	Location string `json:"location"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Raw is the item as read, if the connector has it.
	Raw []byte `json:"raw,omitempty"`
}

// Reader reads streams. Read calls emit for each batch in order and returns when
// the stream has nothing more for now; it resumes from cursor (nil: from the start).
// An emit error must stop the read and be returned.
type Reader interface {
	Read(ctx context.Context, stream string, cursor []byte, emit func(Batch) error) error
}

// Command asks a connector to change its external system.
type Command struct {
	// ID identifies the command within its batch; results name it.
	ID string `json:"id"`
	// Action is what to do.
	Action canonical.Action `json:"action"`
	// IdempotencyKey is stable across retries of the same command; connectors pass
	// it to the platform where it has such a key and check before creating where not.
	IdempotencyKey string `json:"idempotency_key"`
	// Payload is the action's canonical JSON payload.
	Payload json.RawMessage `json:"payload"`
}

// Status is the outcome of one command.
type Status string

// Command outcomes.
const (
	StatusOK        Status = "ok"
	StatusRetryable Status = "retryable"
	StatusPermanent Status = "permanent"
)

// Result is the outcome of one command.
type Result struct {
	// CommandID is the command's ID.
	CommandID string `json:"command_id"`
	// Status is ok, retryable or permanent.
	Status Status `json:"status"`
	// ExternalID is the id the external system gave or has for the entity.
	ExternalID string `json:"external_id,omitempty"`
	// Error explains a failure.
	Error string `json:"error,omitempty"`
	// RetryAfter is how long to wait before retrying, when the platform said.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

// Writer executes commands; it returns one result per command, in order.
type Writer interface {
	Write(ctx context.Context, cmds []Command) []Result
}

// WebhookHandler verifies and parses a webhook delivery. A refusal is a
// *WebhookError.
type WebhookHandler interface {
	Webhook(ctx context.Context, headers http.Header, body []byte) ([]canonical.Record, error)
}

// FieldError is a problem with one config field.
type FieldError struct {
	// Field is the JSON path of the field, e.g. "shop_domain".
	Field string `json:"field"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// ConfigError lists every problem of a config.
type ConfigError struct {
	Fields []FieldError
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid config: " + strings.Join(parts, "; ")
}

// CheckReason classifies a failed Check.
type CheckReason string

// Check failure reasons.
const (
	CheckAuth       CheckReason = "auth"
	CheckNetwork    CheckReason = "network"
	CheckPermission CheckReason = "permission"
	CheckConfig     CheckReason = "config"
)

// CheckError is a failed Check with its reason.
type CheckError struct {
	Reason  CheckReason
	Message string
}

func (e *CheckError) Error() string { return fmt.Sprintf("check failed (%s): %s", e.Reason, e.Message) }

// WebhookRefusal classifies a refused webhook.
type WebhookRefusal string

// Webhook refusals: the hub answers 401 and 400 respectively.
const (
	WebhookUnauthorized WebhookRefusal = "unauthorized"
	WebhookMalformed    WebhookRefusal = "malformed"
)

// WebhookError is a refused webhook with its reason.
type WebhookError struct {
	Refusal WebhookRefusal
	Message string
}

func (e *WebhookError) Error() string { return fmt.Sprintf("webhook %s: %s", e.Refusal, e.Message) }
