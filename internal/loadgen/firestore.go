package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	fs "cloud.google.com/go/firestore"
	"golang.org/x/sync/errgroup"
	"google.golang.org/api/iterator"

	"github.com/recallhq/recall/firestore"
)

// copyWorkers bounds the concurrent listings of a Firestore copy.
const copyWorkers = 8

// newFirestoreTemplate makes the template of a Firestore run: the project
// <PROJECT>-<id>-template of the emulator FIRESTORE_EMULATOR_HOST names.
// Each mode gets a project of its own, <PROJECT>-<id>-<label>, that the
// template's documents are copied into (Firestore has no copy of a
// database); every project of the run is emptied after. Only the emulator:
// a run writes and deletes tens of thousands of documents, which a real
// project would bill.
func newFirestoreTemplate(spec, id string, latency time.Duration) (*Template, error) {
	base := strings.TrimPrefix(spec, "firestore://")
	if err := checkLabel(base); err != nil || strings.Contains(base, "_") {
		return nil, fmt.Errorf("--db %q: want firestore://PROJECT_ID (letters, digits and '-')", spec)
	}
	host := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if host == "" {
		return nil, fmt.Errorf("--db %q: the benchmark runs on Firestore's emulator only: set FIRESTORE_EMULATOR_HOST", spec)
	}
	t := &Template{id: id, latency: latency, fsBase: base, fsHost: host}
	t.fsProject = t.fsName("template")
	t.URL = "firestore://" + t.fsProject
	return t, nil
}

// fsName is the project of this run named label.
func (t *Template) fsName(label string) string {
	return strings.ToLower(t.fsBase + "-" + t.id + "-" + label)
}

// cloneFirestore copies the template's documents into a new project.
func (t *Template) cloneFirestore(ctx context.Context, label string) (*Database, error) {
	dst := t.fsName(label)
	drop := func(ctx context.Context) error { return firestore.ResetEmulator(ctx, t.fsHost, dst) }
	if err := copyFirestore(ctx, t.fsProject, dst); err != nil {
		_ = drop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("copy the seeded project: %w", err)
	}
	// The server adds the latency before each call of its store, as for
	// SQLite: the emulator is reached through FIRESTORE_EMULATOR_HOST, one
	// address for the whole process, which the seeding shares.
	return &Database{ServeURL: "firestore://" + dst, WrapStore: t.wrapStore(), close: drop}, nil
}

// copyFirestore copies every document of project src, subcollections
// included, into project dst, keeping their paths.
func copyFirestore(ctx context.Context, src, dst string) error {
	sc, err := fs.NewClient(ctx, src)
	if err != nil {
		return err
	}
	defer sc.Close()
	dc, err := fs.NewClient(ctx, dst)
	if err != nil {
		return err
	}
	defer dc.Close()
	bw := dc.BulkWriter(ctx)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(copyWorkers)
	// run runs f in the group, or here when the group is full (a worker
	// waiting for a free slot could wait for ever).
	run := func(f func() error) error {
		if g.TryGo(f) {
			return nil
		}
		return f()
	}
	var (
		mu   sync.Mutex
		jobs []*fs.BulkWriterJob
	)
	prefix := strings.TrimSuffix(sc.Collection("x").Path, "x") // projects/P/databases/(default)/documents/
	var copyColl func(col *fs.CollectionRef) error
	copyColl = func(col *fs.CollectionRef) error {
		docs, err := col.Documents(gctx).GetAll()
		if err != nil {
			return fmt.Errorf("read %s: %w", col.Path, err)
		}
		for _, d := range docs {
			j, err := bw.Create(dc.Doc(strings.TrimPrefix(d.Ref.Path, prefix)), d.Data())
			if err != nil {
				return err
			}
			mu.Lock()
			jobs = append(jobs, j)
			mu.Unlock()
		}
		// Subcollections may hang under documents that do not exist.
		refs := col.DocumentRefs(gctx)
		for {
			ref, err := refs.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("list %s: %w", col.Path, err)
			}
			err = run(func() error {
				cols, err := ref.Collections(gctx).GetAll()
				if err != nil {
					return fmt.Errorf("list the collections of %s: %w", ref.Path, err)
				}
				for _, c := range cols {
					if err := copyColl(c); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	top, err := sc.Collections(ctx).GetAll()
	if err == nil {
		for _, c := range top {
			if err = run(func() error { return copyColl(c) }); err != nil {
				break
			}
		}
		err = errors.Join(err, g.Wait())
	}
	bw.End()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if _, err := j.Results(); err != nil {
			return err
		}
	}
	return nil
}
