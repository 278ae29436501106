// Package connhost is the hub's connector host: it starts every configured
// connector instance, supervises it, and gives the hub Read (as pollers), Write,
// Check, Spec and Webhook on it, whether the connector runs as a plugin process
// or in-process.
//
// Starting. A built-in connector type is started as the hub's own binary,
// `crossdock connector serve TYPE`; a third-party connector is the executable
// named by `command:`. Both speak plugins/proto over go-plugin (see
// plugins/host). The process gets only the environment variables its config
// names (plus CROSSDOCK_CONNECTOR_INSTANCE and go-plugin's handshake), and its
// log lines become the hub's, tagged connector=<instance>.
//
// Supervision. A connector process that exits is restarted with exponential
// backoff and jitter. After Config.MaxRestarts consecutive crashes (a process
// that ran for Config.StableAfter resets the count) the instance is marked
// failed and left alone; the hub keeps running. A config the connector rejects
// marks it failed at once. The state of each instance (running, restarting,
// failed, with the last error) is in Status and in the Prometheus gauge
// crossdock_connector_state{connector,state}. Every call has a timeout and
// honours cancellation. When the hub exits no connector survives: Close kills
// every process, and on Linux each is started with Pdeathsig SIGKILL so even a
// SIGKILLed hub leaves no orphan.
//
// Topics. Records from instance X of kind K are published to topic "K.in"
// (order.in, product.in, inventory_level.in, ...) with metadata source=X,
// kind=K, idempotency_key and correlation_id; the record's Source is set to X.
// Rows a connector could not map (sdk.Reject) go to topic RejectTopic
// ("connector.rejects") with metadata source, stream, location and reason, for
// the dead-letter queue.
//
// The checkpoint rule (DESIGN.md §3.1, Airbyte's "state after records"): a
// poller publishes each batch and stores the batch's cursor in the SAME SQL
// transaction, so the cursor is stored if and only if the records are durably
// on the bus. A crash at any point resumes from the last committed cursor:
// nothing lost, and nothing published twice by the poller itself.
//
// Webhooks. WebhookHandler serves POST /webhooks/{instance}: it hands headers and
// the raw body to the instance's connector; verified records go on the bus in
// one transaction and the answer is 200. A refusal answers 401 (bad signature)
// or 400 (malformed), is reported to Config.Audit, and nothing of it reaches the
// bus.
package connhost
