package firestore_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/recallhq/recall/firestore/emulatortest"
)

// TestMain starts a Firestore emulator of its own on a free port for the
// tests of this package (which reach it through FIRESTORE_EMULATOR_HOST)
// and stops its whole process group after them, or before an interrupt or
// the test timeout would end this process. Without the emulator or Java the
// tests fail: they never skip silently, except under -short, which starts
// no emulator and skips the tests that need one.
func TestMain(m *testing.M) {
	os.Exit(runWithEmulator(m))
}

func runWithEmulator(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // no emulator: the tests that need it skip (needEmulator)
	}
	emu, stop, err := emulatortest.StartMain()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer stop()
	if err := os.Setenv("FIRESTORE_EMULATOR_HOST", emu.Host); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return m.Run()
}

// needEmulator skips tb under -short, when TestMain started no emulator.
func needEmulator(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs the Firestore emulator: skipped under -short")
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort() (int, error) { return emulatortest.FreePort() }

// newProjectID returns a project ID no other test uses: each test gets an
// empty database of its own.
func newProjectID() string { return emulatortest.ProjectID("recall-test") }

// resetProject deletes every document of a project in the emulator that
// FIRESTORE_EMULATOR_HOST names.
func resetProject(project string) error {
	host := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if host == "" {
		return errors.New("FIRESTORE_EMULATOR_HOST is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return emulatortest.Reset(ctx, host, project)
}
