package bus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/hub/store"
)

// Metadata keys the bus and the hub put on messages.
const (
	// MetaCorrelationID ties every message caused by one ingress record
	// together; the bus copies it from a consumed message to the ones its
	// handler publishes.
	MetaCorrelationID = "correlation_id"
	// MetaIdempotencyKey is the key handlers de-duplicate on.
	MetaIdempotencyKey = "idempotency_key"
	// MetaKind is the canonical record kind of the payload.
	MetaKind = "kind"
	// MetaSource is the connector instance a record came from.
	MetaSource = "source"
	// MetaPipeline and MetaStep name where a message is being handled; they
	// are what a dead letter records, when a handler option does not say.
	MetaPipeline = "pipeline"
	MetaStep     = "step"
)

// Handler handles one message inside the transaction that consumes it. It
// changes hub state through tx and returns the messages to publish next; the
// bus publishes them through the same tx, so state, outgoing messages and the
// consumer's offset commit together. On error (or panic) the attempt's state
// and messages are rolled back and the message is retried, then dead-lettered.
//
// A Handler must be idempotent (delivery is at-least-once), must write only
// through tx, and must return on the first SQL error: the transaction may be
// unusable after it.
type Handler func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]Out, error)

// Out is a message a handler publishes to a topic.
type Out struct {
	Topic string
	Msg   *message.Message
}

// HandlerOption adjusts one handler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	pipeline string
	step     string
	timeout  time.Duration
	retry    RetryPolicy
}

// WithPipeline names the pipeline a handler runs for (metrics, dead letters).
func WithPipeline(name string) HandlerOption { return func(c *handlerConfig) { c.pipeline = name } }

// WithStep names the pipeline step a handler runs (metrics, dead letters).
func WithStep(name string) HandlerOption { return func(c *handlerConfig) { c.step = name } }

// WithTimeout overrides Config.HandlerTimeout for one handler.
func WithTimeout(d time.Duration) HandlerOption { return func(c *handlerConfig) { c.timeout = d } }

// WithRetry overrides Config.Retry for one handler.
func WithRetry(p RetryPolicy) HandlerOption { return func(c *handlerConfig) { c.retry = p } }

// Bus is the durable bus: publishers and transactional handlers over the hub
// database. Register handlers with Handle, then Run.
type Bus struct {
	db      *store.DB
	cfg     Config
	logger  *slog.Logger
	wlog    watermill.LoggerAdapter
	schema  wsql.SchemaAdapter
	offsets wsql.OffsetsAdapter
	router  *message.Router
	metrics *metrics
	dead    *DeadLetters
	lock    writeLock // SQLite only; see writeLock

	mu       sync.Mutex
	handlers map[string]*handlerConfig
	// handlerTopic is the topic of each handler.
	handlerTopic map[string]string
	runCtx       context.Context
	topics       sync.Map // topic -> struct{}: its tables are known to exist
	creating     sync.Map // topic -> struct{}: a background creation is under way
	bg           sync.WaitGroup
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9\-\$\:\.\_]+$`)

// New builds a bus on db: the SQLite adapters of this package for a SQLite
// database, watermill-sql's own PostgreSQL adapters for PostgreSQL. It creates
// the dead-letter table if it is missing and registers the metrics on
// cfg.Registerer.
func New(db *store.DB, cfg Config, logger *slog.Logger) (*Bus, error) {
	if db == nil {
		return nil, errors.New("bus: database is nil")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Bus{
		db:           db,
		cfg:          cfg,
		logger:       logger.With("component", "bus"),
		handlers:     map[string]*handlerConfig{},
		handlerTopic: map[string]string{},
	}
	b.wlog = watermill.NewSlogLoggerWithLevelMapping(b.logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // Watermill's info lines are chatty lifecycle notes
	})
	messagesTable, offsetsTable := b.messagesTable, b.offsetsTable
	switch db.Dialect {
	case store.SQLite:
		b.lock = newWriteLock()
		b.schema = SQLiteSchema{GenerateMessagesTableName: messagesTable, SubscribeBatchSize: cfg.BatchSize}
		b.offsets = SQLiteOffsetsAdapter{GenerateMessagesOffsetsTableName: offsetsTable}
	case store.Postgres:
		b.schema = wsql.DefaultPostgreSQLSchema{
			GenerateMessagesTableName: messagesTable,
			// Payloads are usually JSON records, but the bus carries bytes.
			GeneratePayloadType: func(string) string { return "BYTEA" },
			SubscribeBatchSize:  cfg.BatchSize,
		}
		b.offsets = wsql.DefaultPostgreSQLOffsetsAdapter{GenerateMessagesOffsetsTableName: offsetsTable}
	default:
		return nil, fmt.Errorf("bus: unsupported database dialect %q", db.Dialect)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, b.wlog)
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	b.router = router
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.dead = &DeadLetters{bus: b, table: cfg.DeadLetterTable}
	if err := b.dead.init(ctx); err != nil {
		return nil, err
	}
	if cfg.Registerer != nil {
		m, err := newMetrics(b, cfg.Registerer)
		if err != nil {
			return nil, err
		}
		b.metrics = m
	}
	return b, nil
}

// messagesTable is the quoted table of a topic's messages.
func (b *Bus) messagesTable(topic string) string { return `"` + b.cfg.TablePrefix + topic + `"` }

// offsetsTable is the quoted table of a topic's consumer offsets.
func (b *Bus) offsetsTable(topic string) string {
	return `"` + b.cfg.TablePrefix + "offsets_" + topic + `"`
}

// DB is the database the bus runs on.
func (b *Bus) DB() *store.DB { return b.db }

// DeadLetters is the dead-letter queue of the bus.
func (b *Bus) DeadLetters() *DeadLetters { return b.dead }

// Handle registers h as the consumer group name on topic. Each handler sees
// every message of its topic once (at least once), in order. Handle may be
// called before or after Run.
func (b *Bus) Handle(name, topic string, h Handler, opts ...HandlerOption) error {
	if name == "" || h == nil {
		return errors.New("bus: handle: a handler needs a name and a function")
	}
	if !topicName.MatchString(name) {
		return fmt.Errorf("bus: handle %q: a handler name may hold only letters, digits and -$:._", name)
	}
	if !topicName.MatchString(topic) {
		return fmt.Errorf("bus: handle %s: topic %q may hold only letters, digits and -$:._", name, topic)
	}
	hc := &handlerConfig{timeout: b.cfg.HandlerTimeout, retry: b.cfg.Retry}
	for _, o := range opts {
		o(hc)
	}
	hc.retry.setDefaults()
	if err := hc.retry.Validate(); err != nil {
		return fmt.Errorf("bus: handle %s: %w", name, err)
	}
	if hc.timeout <= 0 {
		return fmt.Errorf("bus: handle %s: timeout %s must be positive", name, hc.timeout)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.handlers[name]; dup {
		return fmt.Errorf("bus: handle %s: a handler of that name is already registered", name)
	}
	ackDeadline := b.cfg.ackDeadline(hc.retry, hc.timeout)
	sub, err := wsql.NewSubscriber(beginner{db: b.db.DB, lock: b.lock}, wsql.SubscriberConfig{
		ConsumerGroup:    name,
		AckDeadline:      &ackDeadline,
		PollInterval:     b.cfg.PollInterval,
		ResendInterval:   max(b.cfg.PollInterval, 10*time.Millisecond),
		RetryInterval:    max(4*b.cfg.PollInterval, 100*time.Millisecond),
		SchemaAdapter:    b.schema,
		OffsetsAdapter:   b.offsets,
		InitializeSchema: false, // ensureTopic below, without needless locking
	}, b.wlog.With(watermill.LogFields{"handler": name}))
	if err != nil {
		return fmt.Errorf("bus: handle %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.ensureTopic(ctx, topic); err != nil {
		return fmt.Errorf("bus: handle %s: %w", name, err)
	}
	fn, err := b.chain(name, topic, hc, h)
	if err != nil {
		return fmt.Errorf("bus: handle %s: %w", name, err)
	}
	b.router.AddConsumerHandler(name, topic, sub, func(msg *message.Message) error {
		_, err := fn(msg)
		return err
	})
	b.handlers[name] = hc
	b.handlerTopic[name] = topic
	if b.metrics != nil {
		b.metrics.watch(topic, name)
	}
	if b.runCtx != nil {
		if err := b.router.RunHandlers(b.runCtx); err != nil {
			return fmt.Errorf("bus: handle %s: %w", name, err)
		}
	}
	return nil
}

// Run runs the handlers until ctx is done or Close is called; it returns
// once they have stopped.
func (b *Bus) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-b.router.Running():
			// From now on Handle starts new handlers itself; start any
			// registered between the router's start and this point.
			b.mu.Lock()
			b.runCtx = ctx
			err := b.router.RunHandlers(ctx)
			b.mu.Unlock()
			if err != nil {
				b.logger.Error("bus: start handlers", "err", err)
			}
		case <-ctx.Done():
		}
		<-ctx.Done()
		_ = b.router.Close()
	}()
	if err := b.router.Run(ctx); err != nil {
		return fmt.Errorf("bus: run: %w", err)
	}
	return nil
}

// Running is closed once Run has started every handler.
func (b *Bus) Running() <-chan struct{} { return b.router.Running() }

// Close stops the handlers, waiting up to Config.CloseTimeout for the
// messages in flight. Uncommitted batches are redelivered on the next Run.
func (b *Bus) Close() error {
	err := b.router.Close()
	b.bg.Wait()
	if err != nil {
		return fmt.Errorf("bus: close: %w", err)
	}
	return nil
}

// EnsureTopic creates the tables of topics that do not exist yet. Publishing
// creates them too, but a caller that knows its topics up front (a pipeline
// engine at start) saves the first publish in each a little work.
func (b *Bus) EnsureTopic(ctx context.Context, topics ...string) error {
	for _, topic := range topics {
		if err := b.ensureTopic(ctx, topic); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bus) ensureTopic(ctx context.Context, topic string) error {
	if _, ok := b.topics.Load(topic); ok {
		return nil
	}
	if err := b.createTopic(ctx, b.db.DB, topic); err != nil {
		return err
	}
	b.topics.Store(topic, struct{}{})
	return nil
}

// sqlExec is what creating a topic needs: a *sql.DB or a *sql.Tx.
type sqlExec interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (b *Bus) createTopic(ctx context.Context, db sqlExec, topic string) error {
	if !topicName.MatchString(topic) {
		return fmt.Errorf("bus: topic %q may hold only letters, digits and -$:._", topic)
	}
	if _, isTx := db.(*sql.Tx); !isTx {
		// Outside a transaction, look before creating: on SQLite even CREATE
		// TABLE IF NOT EXISTS of an existing table waits for the write lock.
		exists, err := tablesExist(ctx, b.db, b.messagesTable(topic), b.offsetsTable(topic))
		if err != nil {
			return fmt.Errorf("bus: create topic %s: %w", topic, err)
		}
		if exists {
			return nil
		}
	}
	qs, err := b.schema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: topic})
	if err != nil {
		return fmt.Errorf("bus: create topic %s: %w", topic, err)
	}
	oq, err := b.offsets.SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams{Topic: topic})
	if err != nil {
		return fmt.Errorf("bus: create topic %s: %w", topic, err)
	}
	qs = append(qs, oq...)
	if _, isTx := db.(*sql.Tx); !isTx && b.db.Dialect == store.Postgres {
		// The PostgreSQL schema takes an advisory transaction lock first.
		tx, err := b.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("bus: create topic %s: %w", topic, err)
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
		for _, q := range qs {
			if _, err := tx.ExecContext(ctx, q.Query, q.Args...); err != nil {
				return fmt.Errorf("bus: create topic %s: %w", topic, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("bus: create topic %s: %w", topic, err)
		}
		return nil
	}
	for _, q := range qs {
		if _, err := db.ExecContext(ctx, q.Query, q.Args...); err != nil {
			return fmt.Errorf("bus: create topic %s: %w", topic, err)
		}
	}
	return nil
}

// tablesExist reports whether all the (quoted) tables exist, reading only.
func tablesExist(ctx context.Context, db *store.DB, quoted ...string) (bool, error) {
	for _, q := range quoted {
		name := strings.Trim(q, `"`)
		var n int
		var err error
		if db.Dialect == store.Postgres {
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, name).Scan(&n)
		} else {
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
		}
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, nil
		}
	}
	return true, nil
}

// ensureTopicTx makes sure a topic's tables exist inside tx. A topic not yet
// known is created in tx (so the publish cannot fail on a missing table and
// the creation commits or rolls back with it), and once more outside it in
// the background, after which the topic is known and costs nothing more.
func (b *Bus) ensureTopicTx(ctx context.Context, tx *sql.Tx, topic string) error {
	if _, ok := b.topics.Load(topic); ok {
		return nil
	}
	if err := b.createTopic(ctx, tx, topic); err != nil {
		return err
	}
	if _, busy := b.creating.LoadOrStore(topic, struct{}{}); !busy {
		b.bg.Add(1)
		go func() {
			defer b.bg.Done()
			defer b.creating.Delete(topic)
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := b.ensureTopic(cctx, topic); err != nil {
				b.logger.Debug("background topic creation failed; will retry on next publish", "topic", topic, "err", err)
			}
		}()
	}
	return nil
}

// maxPerInsert keeps one INSERT under SQLite's limit of bound variables.
const maxPerInsert = 1000

// Publish publishes msgs to topic in a transaction of its own, in order. A
// message without a correlation id gets the one in ctx (see
// WithCorrelationID) or, at ingress, its own UUID.
func (b *Bus) Publish(ctx context.Context, topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := b.ensureTopic(ctx, topic); err != nil {
		return err
	}
	return b.inTx(ctx, func(tx *sql.Tx) error {
		return b.PublishTx(ctx, tx, topic, msgs...)
	})
}

// InTx runs fn in a transaction of its own and commits it if fn returns nil. On
// SQLite it first takes the bus's in-process write lock, so the hub's writers
// queue in order instead of spinning on SQLite's busy timeout; every writer
// outside a handler should use it.
func (b *Bus) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error { return b.inTx(ctx, fn) }

// inTx runs fn in a transaction of its own, under the write lock on SQLite.
func (b *Bus) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := b.lock.acquire(ctx); err != nil {
		return fmt.Errorf("bus: wait for the write lock: %w", err)
	}
	defer b.lock.release()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bus: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bus: commit: %w", err)
	}
	return nil
}

// PublishTx publishes msgs to topic inside tx: they become visible to
// consumers when, and only if, tx commits.
func (b *Bus) PublishTx(ctx context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if tx == nil {
		return fmt.Errorf("bus: publish to %s: transaction is nil", topic)
	}
	if err := b.ensureTopicTx(ctx, tx, topic); err != nil {
		return err
	}
	corr := CorrelationID(ctx)
	for _, m := range msgs {
		if m == nil {
			return fmt.Errorf("bus: publish to %s: nil message", topic)
		}
		if m.Metadata == nil {
			m.Metadata = message.Metadata{}
		}
		if m.Metadata.Get(MetaCorrelationID) == "" {
			if corr != "" {
				m.Metadata.Set(MetaCorrelationID, corr)
			} else {
				m.Metadata.Set(MetaCorrelationID, m.UUID)
			}
		}
		m.SetContext(ctx)
	}
	pub, err := wsql.NewPublisher(wsql.TxFromStdSQL(tx), wsql.PublisherConfig{SchemaAdapter: b.schema}, b.wlog)
	if err != nil {
		return fmt.Errorf("bus: publish to %s: %w", topic, err)
	}
	for start := 0; start < len(msgs); start += maxPerInsert {
		end := min(start+maxPerInsert, len(msgs))
		if err := pub.Publish(topic, msgs[start:end]...); err != nil {
			return fmt.Errorf("bus: publish to %s: %w", topic, err)
		}
	}
	if b.metrics != nil {
		b.metrics.published.WithLabelValues(topic).Add(float64(len(msgs)))
	}
	return nil
}

type correlationKey struct{}

// WithCorrelationID returns ctx carrying a correlation id; messages published
// with it (Publish, PublishTx) inherit the id. Handlers get a ctx that
// already carries the id of their message.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the correlation id ctx carries, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
