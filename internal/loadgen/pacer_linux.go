package loadgen

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pacer waits until a virtual user's next intended start on a timerfd,
// which the runtime's network poller watches like a socket.
//
// A time.Timer would do, were it precise: when no goroutine is ready to
// run, the runtime sleeps in epoll_pwait, whose timeout is whole
// milliseconds, so a timer under a millisecond away fires a millisecond
// later and one further away up to a millisecond late. On an idle two-core
// machine that made the open loop send its requests 0.55 ms after their
// intended starts at the median and 1.1–1.9 ms at the 99th percentile,
// lateness every latency of the open loop then counted. A timerfd is
// armed in nanoseconds and wakes the poller when it expires: 50 µs late at
// the median on the same machine. (The
// load generator is Linux's only already: it starts redis-server with a
// parent-death signal.)
type pacer struct {
	f   *os.File
	fd  int
	buf [8]byte
}

// newPacer returns a pacer; close it after.
func newPacer() (*pacer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	// A non-blocking descriptor: os.NewFile registers it with the poller,
	// so a Read parks the goroutine rather than a thread.
	return &pacer{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}, nil
}

// until waits until t, or until ctx is done (its error then).
func (p *pacer) until(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(p.fd, 0, &spec, nil); err != nil {
		return fmt.Errorf("timerfd: %w", err)
	}
	// The context's end interrupts the read through a deadline in the
	// past, which is lifted again once it is set, for the next wait.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = p.f.SetReadDeadline(time.Now())
		close(fired)
	})
	_, err := p.f.Read(p.buf[:])
	if !stop() {
		<-fired
		if derr := p.f.SetReadDeadline(time.Time{}); derr != nil {
			return fmt.Errorf("timerfd: %w", derr)
		}
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("timerfd: %w", err)
	}
	return nil
}

// close releases the timerfd.
func (p *pacer) close() error { return p.f.Close() }
