package bus

import (
	"context"
	"database/sql"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Add puts a message in the dead-letter queue from outside a handler, in the
// caller's transaction: for work that left the bus before it failed (the egress
// outbox). topic is where Replay sends the message again.
func (d *DeadLetters) Add(ctx context.Context, tx *sql.Tx, msg *message.Message, topic, pipeline, step, reason string) error {
	m := msg.Copy()
	m.Metadata.Set(middleware.ReasonForPoisonedKey, reason)
	m.Metadata.Set(middleware.PoisonedTopicKey, topic)
	m.Metadata.Set(metaStepPipeline, pipeline)
	m.Metadata.Set(metaStepStep, step)
	return d.insert(ctx, tx, m)
}
