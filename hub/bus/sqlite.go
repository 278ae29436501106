package bus

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// SQLiteSchema is a watermill-sql v4 SchemaAdapter for SQLite (driven through
// github.com/mattn/go-sqlite3). Each topic is one table whose INTEGER
// AUTOINCREMENT key is the message offset.
//
// SQLite has no SELECT ... FOR UPDATE. The adapter relies instead on every
// transaction being BEGIN IMMEDIATE (store.Open sets _txlock=immediate): the
// subscriber's consuming transaction takes the database's single write lock
// before it reads its consumer group's offset, and keeps it until it commits
// the new offset, so two subscribers of one consumer group can never read the
// same offset, and a publisher's rows become visible in offset order (writers
// are serialised, so offsets are committed in the order they are assigned).
// Opened with deferred transactions the adapter would deliver duplicates.
type SQLiteSchema struct {
	// GenerateMessagesTableName overrides the table name of a topic; it must
	// return a quoted identifier. Default "watermill_<topic>".
	GenerateMessagesTableName func(topic string) string
	// SubscribeBatchSize is how many messages one consuming transaction reads.
	// Default 100.
	SubscribeBatchSize int
}

var _ wsql.SchemaAdapter = SQLiteSchema{}

// MessagesTable is the quoted name of a topic's table.
func (s SQLiteSchema) MessagesTable(topic string) string {
	if s.GenerateMessagesTableName != nil {
		return s.GenerateMessagesTableName(topic)
	}
	return `"watermill_` + topic + `"`
}

// SchemaInitializingQueries creates the topic's table if it is missing.
func (s SQLiteSchema) SchemaInitializingQueries(params wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	// AUTOINCREMENT, not a plain rowid: an offset is never reused, even if the
	// newest rows are ever deleted, so a consumer can never skip a message.
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + s.MessagesTable(params.Topic) + ` (
	"offset" INTEGER PRIMARY KEY AUTOINCREMENT,
	"uuid" TEXT NOT NULL,
	"created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	"payload" BLOB,
	"metadata" TEXT
)`}}, nil
}

// InsertQuery inserts the messages in one statement, in order.
func (s SQLiteSchema) InsertQuery(params wsql.InsertQueryParams) (wsql.Query, error) {
	if len(params.Msgs) == 0 {
		return wsql.Query{}, fmt.Errorf("insert into topic %s: no messages", params.Topic)
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO `)
	b.WriteString(s.MessagesTable(params.Topic))
	b.WriteString(` ("uuid", "payload", "metadata") VALUES `)
	args := make([]any, 0, 3*len(params.Msgs))
	for i, msg := range params.Msgs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?)`)
		md, err := json.Marshal(msg.Metadata)
		if err != nil {
			return wsql.Query{}, fmt.Errorf("marshal metadata of message %s: %w", msg.UUID, err)
		}
		args = append(args, msg.UUID, []byte(msg.Payload), string(md))
	}
	return wsql.Query{Query: b.String(), Args: args}, nil
}

func (s SQLiteSchema) batchSize() int {
	if s.SubscribeBatchSize <= 0 {
		return 100
	}
	return s.SubscribeBatchSize
}

// SelectQuery reads the next batch after the consumer group's acked offset.
func (s SQLiteSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := params.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{
		Topic:         params.Topic,
		ConsumerGroup: params.ConsumerGroup,
	})
	if err != nil {
		return wsql.Query{}, err
	}
	q := `SELECT "offset", "uuid", "payload", "metadata" FROM ` + s.MessagesTable(params.Topic) +
		` WHERE "offset" > (` + next.Query + `) ORDER BY "offset" ASC LIMIT ` + strconv.Itoa(s.batchSize())
	return wsql.Query{Query: q, Args: next.Args}, nil
}

// UnmarshalMessage turns a selected row into a message.
func (s SQLiteSchema) UnmarshalMessage(params wsql.UnmarshalMessageParams) (wsql.Row, error) {
	var (
		r        wsql.Row
		uuid     string
		metadata sql.NullString
	)
	if err := params.Row.Scan(&r.Offset, &uuid, &r.Payload, &metadata); err != nil {
		return wsql.Row{}, fmt.Errorf("scan message row: %w", err)
	}
	r.UUID = []byte(uuid)
	msg := message.NewMessage(uuid, r.Payload)
	if metadata.Valid && metadata.String != "" {
		r.Metadata = []byte(metadata.String)
		if err := json.Unmarshal(r.Metadata, &msg.Metadata); err != nil {
			return wsql.Row{}, fmt.Errorf("unmarshal metadata of message %s: %w", uuid, err)
		}
	}
	if msg.Metadata == nil {
		msg.Metadata = message.Metadata{}
	}
	r.Msg = msg
	return r, nil
}

// SubscribeIsolationLevel is the default: SQLite transactions are
// serializable, and the immediate lock does the rest.
func (s SQLiteSchema) SubscribeIsolationLevel() sql.IsolationLevel {
	return sql.LevelDefault
}

// SQLiteOffsetsAdapter is a watermill-sql v4 OffsetsAdapter for SQLite: one
// row per consumer group holding the last acked offset. See SQLiteSchema for
// why no row lock is needed.
type SQLiteOffsetsAdapter struct {
	// GenerateMessagesOffsetsTableName overrides the offsets table name of a
	// topic; it must return a quoted identifier. Default
	// "watermill_offsets_<topic>".
	GenerateMessagesOffsetsTableName func(topic string) string
}

var _ wsql.OffsetsAdapter = SQLiteOffsetsAdapter{}

// MessagesOffsetsTable is the quoted name of a topic's offsets table.
func (a SQLiteOffsetsAdapter) MessagesOffsetsTable(topic string) string {
	if a.GenerateMessagesOffsetsTableName != nil {
		return a.GenerateMessagesOffsetsTableName(topic)
	}
	return `"watermill_offsets_` + topic + `"`
}

// SchemaInitializingQueries creates the offsets table if it is missing.
func (a SQLiteOffsetsAdapter) SchemaInitializingQueries(params wsql.OffsetsSchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: `CREATE TABLE IF NOT EXISTS ` + a.MessagesOffsetsTable(params.Topic) + ` (
	"consumer_group" TEXT NOT NULL PRIMARY KEY,
	"offset_acked" INTEGER NOT NULL DEFAULT 0,
	"offset_consumed" INTEGER NOT NULL DEFAULT 0
)`}}, nil
}

// AckMessageQuery stores the last offset of a consumed batch.
func (a SQLiteOffsetsAdapter) AckMessageQuery(params wsql.AckMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{
		Query: `INSERT INTO ` + a.MessagesOffsetsTable(params.Topic) + ` ("consumer_group", "offset_acked", "offset_consumed") VALUES (?, ?, ?)
ON CONFLICT ("consumer_group") DO UPDATE SET "offset_acked" = excluded."offset_acked", "offset_consumed" = excluded."offset_consumed"`,
		Args: []any{params.ConsumerGroup, params.LastRow.Offset, params.LastRow.Offset},
	}, nil
}

// ConsumedMessageQuery is not needed: the write lock already excludes other
// consumers, so the adapter runs no query per message.
func (a SQLiteOffsetsAdapter) ConsumedMessageQuery(wsql.ConsumedMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{}, nil
}

// NextOffsetQuery returns the last acked offset of a consumer group (0 for a
// new group, which so reads the topic from its beginning).
func (a SQLiteOffsetsAdapter) NextOffsetQuery(params wsql.NextOffsetQueryParams) (wsql.Query, error) {
	return wsql.Query{
		Query: `SELECT COALESCE((SELECT "offset_acked" FROM ` + a.MessagesOffsetsTable(params.Topic) + ` WHERE "consumer_group" = ?), 0)`,
		Args:  []any{params.ConsumerGroup},
	}, nil
}

// BeforeSubscribingQueries runs nothing.
func (a SQLiteOffsetsAdapter) BeforeSubscribingQueries(wsql.BeforeSubscribingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}
