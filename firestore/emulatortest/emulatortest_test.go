package emulatortest

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := Check(); err != nil && !testing.Short() {
		t.Fatalf("Check on this machine: %v", err)
	}
	err := check(filepath.Join(t.TempDir(), "no-emulator"), "java")
	if err == nil || !strings.Contains(err.Error(), "google-cloud-cli-firestore-emulator") {
		t.Errorf("check without the emulator = %v, want a message naming the package", err)
	}
	err = check(Path, "no-such-java-binary")
	if err == nil || !strings.Contains(err.Error(), "Java 17") {
		t.Errorf("check without Java = %v, want a message asking for Java 17", err)
	}
}

// TestStartStop starts an emulator, resets a project in it, and checks
// that Stop leaves no process of its group behind.
func TestStartStop(t *testing.T) {
	e := Start(t)
	res, err := http.Get("http://" + e.Host + "/")
	if err != nil {
		t.Fatalf("GET / on the emulator: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / on the emulator: %s", res.Status)
	}
	if err := e.Reset(t.Context(), ProjectID("emulatortest")); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if err := Reset(t.Context(), "", "p"); err == nil {
		t.Error("Reset without a host succeeded")
	}
	pgid := e.cmd.Process.Pid
	if live := liveMembers(t, pgid); len(live) < 2 {
		t.Fatalf("the emulator's process group holds %v while it runs, want the launcher and the JVM", live)
	}
	log := e.log.Name()
	e.Stop()
	e.Stop() // twice is fine
	if live := liveMembers(t, pgid); len(live) != 0 {
		t.Errorf("after Stop, processes of the emulator's group still run: %v", live)
	}
	if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emulator's log %s is still there: %v", log, err)
	}
	if _, err := http.Get("http://" + e.Host + "/"); err == nil {
		t.Error("the emulator still answers after Stop")
	}
}

func TestProjectID(t *testing.T) {
	a, b := ProjectID("p"), ProjectID("p")
	if a == b || !strings.HasPrefix(a, "p-") || len(a) != len("p-")+12 {
		t.Errorf("ProjectID = %q, %q", a, b)
	}
}

// liveMembers returns "pid:comm" of the processes of group pgid that are
// not zombies (a killed JVM, orphaned, stays a zombie until PID 1 reaps it).
func liveMembers(t *testing.T, pgid int) []string {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		out = append(out, d.Name()+":"+s[strings.IndexByte(s, '(')+1:i])
	}
	return out
}
