package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RenderJSON writes doc as one indented JSON document (schema
// SchemaVersion) with a trailing newline. Nothing is written when encoding
// fails.
func RenderJSON(w io.Writer, doc *Document) error {
	if doc == nil {
		return errors.New("report: render json: no document")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: render json: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
