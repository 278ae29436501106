// Package yamlconf is the strict YAML decoding shared by every Crossdock
// configuration file (hub.yaml, pipelines, pipeline tests, and the sections other
// packages own).
//
// It promises:
//   - every problem names the file, the line and the column (file:line:col: message);
//   - all problems of a file are reported together, never only the first;
//   - unknown keys, wrong types, duplicate keys and missing required fields are errors;
//   - ${env:NAME} and ${file:PATH} references are resolved at load time, and every
//     resolved value is registered as a secret so that logs and errors show "***"
//     instead (see Secrets, Redactor and NewRedactingHandler).
//
// The decoder reads `yaml:"name"` struct tags and `required:"true"` for fields that
// must be present. Types that need more control implement Unmarshaler.
package yamlconf
