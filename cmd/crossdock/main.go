// Command crossdock is Crossdock's one binary: the hub, its tools, and the
// built-in connectors it launches as plugins. main only wires; each command lives
// in its own file and registers itself with addCommand.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:]))
}
