// Package faults holds fault-injection tests of a running Recall: real
// `recall serve` processes, their own redis-servers and a toxiproxy in
// front of Redis or PostgreSQL, clients under load, and faults injected
// while they run — Redis slowed down, cut off, killed and flushed, the
// primary database made unreachable, a server instance killed with
// SIGKILL. A Checker records every write a client was acknowledged and,
// afterwards, compares it with what the primary database holds: the
// invariant "nothing acknowledged is lost" of the design notes.
//
// The tests build the recall binary once (with -race when the tests run
// with it), use loopback addresses only and bound every wait. The soak test
// (build tag soak, `make soak`) runs the same load for ten minutes with
// Redis restarted every minute.
//
// The package has no production code but the Checker.
package faults
