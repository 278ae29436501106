// Package config loads hub.yaml, the file that says what a Crossdock hub runs:
// its database and listen address, its connector instances, the pipeline files,
// and the sections other packages own (api, inventory, routing, locations).
//
// It promises strict loading: an unknown key, a wrong type or a missing field is
// an error naming file:line:col, and every problem of the file is reported at
// once. ${env:NAME} and ${file:PATH} references are resolved at load time and
// every resolved value is redacted ("***") in errors and, through Config.Secrets,
// in logs. The sections owned elsewhere are kept as YAML nodes and decoded, just as
// strictly, with Config.DecodeSection.
package config
