package bus

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RetryPolicy says how often and how patiently a failing handler is retried
// before its message goes to the dead-letter queue. Intervals grow
// exponentially from InitialInterval by Multiplier up to MaxInterval, each
// randomised by ±Jitter (0.5 means anywhere between half and one and a half
// times the interval), so a crowd of failing handlers does not retry in step.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0 means the
	// first failure dead-letters the message. Negative is invalid.
	MaxRetries int
	// InitialInterval is the wait before the first retry.
	InitialInterval time.Duration
	// MaxInterval caps the wait between two retries.
	MaxInterval time.Duration
	// Multiplier scales the wait after each retry (>= 1).
	Multiplier float64
	// Jitter is the randomisation factor in [0, 1).
	Jitter float64
}

// DefaultRetryPolicy is the policy a zero RetryPolicy stands for: three
// retries waiting about 100ms, 200ms and 400ms.
var DefaultRetryPolicy = RetryPolicy{
	MaxRetries:      3,
	InitialInterval: 100 * time.Millisecond,
	MaxInterval:     5 * time.Second,
	Multiplier:      2,
	Jitter:          0.5,
}

func (p *RetryPolicy) setDefaults() {
	if *p == (RetryPolicy{}) {
		*p = DefaultRetryPolicy
		return
	}
	if p.InitialInterval == 0 {
		p.InitialInterval = DefaultRetryPolicy.InitialInterval
	}
	if p.MaxInterval == 0 {
		p.MaxInterval = max(DefaultRetryPolicy.MaxInterval, p.InitialInterval)
	}
	if p.Multiplier == 0 {
		p.Multiplier = DefaultRetryPolicy.Multiplier
	}
}

// Validate reports a policy that cannot work.
func (p RetryPolicy) Validate() error {
	var errs []error
	if p.MaxRetries < 0 {
		errs = append(errs, fmt.Errorf("max retries %d is negative", p.MaxRetries))
	}
	if p.InitialInterval <= 0 {
		errs = append(errs, fmt.Errorf("initial interval %s must be positive", p.InitialInterval))
	}
	if p.MaxInterval < p.InitialInterval {
		errs = append(errs, fmt.Errorf("max interval %s is below initial interval %s", p.MaxInterval, p.InitialInterval))
	}
	if p.Multiplier < 1 {
		errs = append(errs, fmt.Errorf("multiplier %g must be at least 1", p.Multiplier))
	}
	if p.Jitter < 0 || p.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("jitter %g must be in [0, 1)", p.Jitter))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("retry policy: %w", err)
	}
	return nil
}

// Config tunes a Bus. The zero value is usable: New fills every unset field
// with its default.
type Config struct {
	// PollInterval is how long a handler's subscriber waits before asking the
	// database again when its topic had nothing new. Default 50ms.
	PollInterval time.Duration
	// BatchSize is how many messages a subscriber reads per transaction. A
	// batch is consumed in one transaction: larger batches mean fewer commits
	// and more throughput, but a crash redelivers (idempotently) the whole
	// uncommitted batch, and on SQLite the batch holds the write lock while it
	// runs. Default 100.
	BatchSize int
	// Retry is the default retry policy of every handler.
	Retry RetryPolicy
	// HandlerTimeout bounds one attempt of a handler on one message; the
	// handler's context is cancelled when it expires. Default 30s.
	HandlerTimeout time.Duration
	// CloseTimeout bounds how long Close waits for running handlers. Default 30s.
	CloseTimeout time.Duration
	// TablePrefix prefixes every table of a topic: messages live in
	// <prefix><topic>, consumer offsets in <prefix>offsets_<topic>.
	// Default "watermill_", the name Watermill itself uses.
	TablePrefix string
	// DeadLetterTable names the dead-letter table. Default "bus_dead_letters".
	DeadLetterTable string
	// Registerer receives the bus metrics; nil means no metrics. Never the
	// global registry unless the caller passes it.
	Registerer prometheus.Registerer
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) setDefaults() {
	if c.PollInterval == 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	c.Retry.setDefaults()
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = 30 * time.Second
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = 30 * time.Second
	}
	if c.TablePrefix == "" {
		c.TablePrefix = "watermill_"
	}
	if c.DeadLetterTable == "" {
		c.DeadLetterTable = "bus_dead_letters"
	}
}

// Validate reports every setting that cannot work, all together.
func (c Config) Validate() error {
	var errs []error
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll interval %s must be positive", c.PollInterval))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, fmt.Errorf("batch size %d must be positive", c.BatchSize))
	}
	if err := c.Retry.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.HandlerTimeout <= 0 {
		errs = append(errs, fmt.Errorf("handler timeout %s must be positive", c.HandlerTimeout))
	}
	if c.CloseTimeout <= 0 {
		errs = append(errs, fmt.Errorf("close timeout %s must be positive", c.CloseTimeout))
	}
	if !identifier.MatchString(c.TablePrefix) {
		errs = append(errs, fmt.Errorf("table prefix %q must be letters, digits and underscores", c.TablePrefix))
	}
	if !identifier.MatchString(c.DeadLetterTable) {
		errs = append(errs, fmt.Errorf("dead-letter table %q must be letters, digits and underscores", c.DeadLetterTable))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bus config: %w", err)
	}
	return nil
}

// ackDeadline is how long the subscriber waits for a message's outcome: all
// attempts with their timeouts and backoffs, plus a margin. A message whose
// handler is stuck longer is given up for this batch and redelivered.
func (c Config) ackDeadline(p RetryPolicy, timeout time.Duration) time.Duration {
	total := timeout
	wait := p.InitialInterval
	for i := 0; i < p.MaxRetries; i++ {
		total += timeout + time.Duration(float64(wait)*(1+p.Jitter))
		wait = min(time.Duration(float64(wait)*p.Multiplier), p.MaxInterval)
	}
	return total + 2*time.Second
}
