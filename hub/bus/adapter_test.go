package bus

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/crossdockhq/crossdock/hub/store"
)

// TestSQLiteAdapter_PassesWatermillSuite runs Watermill's own Pub/Sub suite
// against the SQLite adapters through watermill-sql's publisher and
// subscriber, claiming: consumer groups, guaranteed order, persistence. It
// does NOT claim exactly-once delivery: a message is redelivered when its
// consuming transaction fails to commit after the handler saw it. (Claiming
// it would make the suite skip TestContinueAfterSubscribeClose and
// TestConcurrentClose, which check at-least-once; we run them.)
//
// ForceShort keeps the message counts at the suite's short sizes (100
// instead of 1,000-10,000): every count exercises the same code paths, and
// the full sizes take much longer under -race. CROSSDOCK_FULL_SUITE=1 runs
// the full sizes. TestReconnect is skipped by the
// suite itself: it needs RestartServiceCommand, and an embedded SQLite file
// has no server to restart.
func TestSQLiteAdapter_PassesWatermillSuite(t *testing.T) {
	// One database file per suite test (the constructor is called several
	// times per test, e.g. for multiplied subscribers, and they must share
	// it): a test that deliberately leaves a delivery unread holds the write
	// lock meanwhile, and must not stall the tests running beside it.
	var mu sync.Mutex
	dbs := map[string]*store.DB{}
	dir := t.TempDir()
	dbFor := func(t *testing.T) *store.DB {
		mu.Lock()
		defer mu.Unlock()
		if db, ok := dbs[t.Name()]; ok {
			return db
		}
		db, err := store.Open(context.Background(), fmt.Sprintf("sqlite:%s/%d.db", dir, len(dbs)))
		if err != nil {
			t.Fatal(err)
		}
		dbs[t.Name()] = db
		return db
	}
	t.Cleanup(func() {
		for _, db := range dbs {
			db.Close()
		}
	})
	logger := watermill.NopLogger{}
	schema := SQLiteSchema{}
	offsets := SQLiteOffsetsAdapter{}

	constructor := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		db := dbFor(t)
		// The bus's own beginner: transactions queue for the one SQLite write
		// lock in FIFO order (see writeLock).
		db2 := beginner{db: db.DB, lock: lockFor(db)}
		// Publishing creates the topic's offsets table with its messages
		// table, as the bus does (Bus.ensureTopic): a subscriber created later
		// then needs no DDL, which could otherwise wait on the write lock held
		// by another subscription of the same test whose delivery the test
		// reads only later (TestTopic does exactly that).
		pub, err := wsql.NewPublisher(db2, wsql.PublisherConfig{SchemaAdapter: schemaWithOffsets{schema, offsets}, AutoInitializeSchema: true}, logger)
		if err != nil {
			t.Fatal(err)
		}
		// A short ack deadline: while a delivery waits for a reader, its
		// subscription holds the write lock, and several suite tests read
		// their subscriptions one after another (TestTopic subscribes to two
		// topics, then reads the first; if the second subscription won the
		// lock it would block the first until the deadline gives its
		// unread message up for redelivery).
		ackDeadline := 2 * time.Second
		sub, err := wsql.NewSubscriber(db2, wsql.SubscriberConfig{
			ConsumerGroup:    group,
			AckDeadline:      &ackDeadline,
			PollInterval:     5 * time.Millisecond,
			ResendInterval:   5 * time.Millisecond,
			RetryInterval:    10 * time.Millisecond,
			SchemaAdapter:    schema,
			OffsetsAdapter:   offsets,
			InitializeSchema: false, // see initializingSubscriber
		}, logger)
		if err != nil {
			t.Fatal(err)
		}
		return pub, &closeWaitingSubscriber{Subscriber: initializingSubscriber{Subscriber: sub, db: db, schema: schema, offsets: offsets}}
	}

	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: false,
		GuaranteedOrder:     true,
		Persistent:          true,
		ForceShort:          os.Getenv("CROSSDOCK_FULL_SUITE") == "",
	}, func(t *testing.T) (message.Publisher, message.Subscriber) {
		return constructor(t, "test")
	}, constructor)
}

// closeWaitingSubscriber works around a race in watermill-sql's Subscriber
// (not in the adapters under test): its Close returns when the consuming
// goroutine is done, a moment BEFORE that goroutine closes the output
// channel, and the suite checks the channel right after Close. The wrapper
// forwards each subscription and makes Close wait until the forwarded
// channels are closed. Messages and their acks pass through unchanged.
type closeWaitingSubscriber struct {
	message.Subscriber
	wg      sync.WaitGroup
	once    sync.Once
	closing chan struct{}
	mu      sync.Mutex
}

func (s *closeWaitingSubscriber) init() { s.once.Do(func() { s.closing = make(chan struct{}) }) }

func (s *closeWaitingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.init()
	in, err := s.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		for msg := range in {
			select {
			case out <- msg:
			case <-s.closing:
				// Unread at close: never acked, so redelivered later.
				for range in {
				}
				return
			}
		}
	}()
	return out, nil
}

func (s *closeWaitingSubscriber) SubscribeInitialize(topic string) error {
	return s.Subscriber.(message.SubscribeInitializer).SubscribeInitialize(topic)
}

// initializingSubscriber creates a topic's tables on Subscribe the way the
// bus does: look first (a read needs no lock), create only if missing.
// watermill-sql's own InitializeSchema runs CREATE TABLE IF NOT EXISTS every
// time, which on SQLite waits for the write lock even when the table exists;
// the suite's multiplied subscribers subscribe one after another while the
// first already holds the lock delivering to a reader that is not reading
// yet, so that wait would last until the busy timeout.
type initializingSubscriber struct {
	*wsql.Subscriber
	db      *store.DB
	schema  SQLiteSchema
	offsets SQLiteOffsetsAdapter
}

func (s initializingSubscriber) SubscribeInitialize(topic string) error {
	ctx := context.Background()
	ok, err := tablesExist(ctx, s.db, s.schema.MessagesTable(topic), s.offsets.MessagesOffsetsTable(topic))
	if err != nil || ok {
		return err
	}
	return s.Subscriber.SubscribeInitialize(topic)
}

func (s initializingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if err := s.SubscribeInitialize(topic); err != nil {
		return nil, err
	}
	return s.Subscriber.Subscribe(ctx, topic)
}

func (s *closeWaitingSubscriber) Close() error {
	s.init()
	s.mu.Lock()
	select {
	case <-s.closing:
	default:
		close(s.closing)
	}
	s.mu.Unlock()
	err := s.Subscriber.Close()
	s.wg.Wait()
	return err
}

// lockFor gives every beginner on one database the same write lock, as the
// one Bus on a database has.
var (
	locksMu sync.Mutex
	locks   = map[*store.DB]writeLock{}
)

func lockFor(db *store.DB) writeLock {
	locksMu.Lock()
	defer locksMu.Unlock()
	if l, ok := locks[db]; ok {
		return l
	}
	l := newWriteLock()
	locks[db] = l
	return l
}

// schemaWithOffsets creates a topic's offsets table along with its messages
// table when the publisher initialises the topic.
type schemaWithOffsets struct {
	SQLiteSchema
	offsets SQLiteOffsetsAdapter
}

func (s schemaWithOffsets) SchemaInitializingQueries(p wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	qs, err := s.SQLiteSchema.SchemaInitializingQueries(p)
	if err != nil {
		return nil, err
	}
	oq, err := s.offsets.SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams{Topic: p.Topic})
	return append(qs, oq...), err
}
