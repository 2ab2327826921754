package firestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ResetEmulator deletes every document of project in the Firestore
// emulator at host (host:port), with the emulator's own DELETE
// /emulator/v1/projects/PROJECT/databases/(default)/documents. It works on
// the emulator only: a real Firestore has no such endpoint.
func ResetEmulator(ctx context.Context, host, project string) error {
	if host == "" {
		return errors.New("firestore: no emulator host")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete,
		"http://"+host+"/emulator/v1/projects/"+project+"/databases/(default)/documents", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("empty the emulator's project %s: %s", project, resp.Status)
	}
	return nil
}
