// Package sdk is what a connector author imports to write a Crossdock connector in
// Go: the Connector interface and its optional Reader, Writer and WebhookHandler
// parts, Serve to run it as a plugin, and the helpers every connector needs (a
// rate-limit-aware HTTP client, OAuth2 client-credentials tokens, HMAC webhook
// verification). It imports canonical and nothing of the hub.
package sdk
