package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/akresp/akresp/internal/state"
)

// Webhook formats.
const (
	FormatJSON     = "json"
	FormatSlack    = "slack"
	FormatDingTalk = "dingtalk"
	FormatLark     = "lark"
)

// WebhookBody renders an alert for a webhook: the alert itself (json), or
// a text message in the shape Slack, DingTalk and Lark (Feishu) custom
// bots accept.
func WebhookBody(a Alert, format string) ([]byte, error) {
	text := fmt.Sprintf("[akresp %s] %s\nInvestigate: %s", a.Severity, a.Summary, a.Investigate)
	var v any
	switch format {
	case FormatJSON, "":
		v = a
	case FormatSlack:
		v = map[string]any{"text": text}
	case FormatDingTalk:
		v = map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}
	case FormatLark:
		v = map[string]any{"msg_type": "text", "content": map[string]string{"text": text}}
	default:
		return nil, fmt.Errorf("webhook format %q: want json, slack, dingtalk or lark", format)
	}
	return json.Marshal(v)
}

// Post sends one alert to url; any answer but 2xx is an error naming the
// status.
func Post(ctx context.Context, client *http.Client, url, format string, a Alert) error {
	body, err := WebhookBody(a, format)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post alert %s: %w", a.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: post alert %s: HTTP %d", a.ID, resp.StatusCode)
	}
	return nil
}

// stateDirName is the state directory's entry for watch (a sealed
// "key directory" like the per-key ones).
const stateDirName = "watch"

// StatePath returns the watch state file under base.
func StatePath(base string) (string, error) {
	dir, err := state.KeyDir(base, stateDirName)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "state.json"), nil
}

// LoadState reads the sealed state (an empty one when none was written);
// an edited file is an *state.IntegrityError.
func LoadState(base string) (*State, error) {
	p, err := StatePath(base)
	if err != nil {
		return nil, err
	}
	st := NewState()
	if err := state.ReadJSON(p, st); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return NewState(), nil
		}
		return nil, err
	}
	st.init()
	return st, nil
}

// SaveState writes the sealed state.
func SaveState(base string, st *State) error {
	p, err := StatePath(base)
	if err != nil {
		return err
	}
	st.init()
	if st.LastRun.IsZero() {
		st.LastRun = time.Unix(0, 0).UTC()
	}
	return state.WriteJSONAtomic(p, st)
}
