// Package host is the host side of the connector protocol for one connector
// process: Launch starts a connector executable over hashicorp/go-plugin
// (versioned handshake, AutoMTLS, gRPC) and returns a *Client that implements
// sdk.Connector, sdk.Reader, sdk.Writer and sdk.WebhookHandler, exactly like an
// in-process connector.
//
// Promises: the plugin gets no environment of the host's beyond what
// Config.Env names (plus go-plugin's own handshake variables); its stderr
// becomes slog records tagged with the instance name; on Linux the process is
// started with Pdeathsig SIGKILL, so it dies with the host even if the host is
// killed with SIGKILL; Kill and plugin.CleanupClients end it otherwise.
// Supervision (restarts, backoff, states) is hub/connhost's job, not this one's.
package host
