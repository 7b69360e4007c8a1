package report

import (
	"errors"
	"fmt"
	"io"

	"github.com/akresp/akresp/internal/jsonout"
)

// RenderJSON writes doc as one indented JSON document (schema
// SchemaVersion) with a trailing newline. Nothing is written when encoding
// fails.
func RenderJSON(w io.Writer, doc *Document) error {
	if doc == nil {
		return errors.New("report: render json: no document")
	}
	if err := jsonout.Write(w, doc); err != nil {
		return fmt.Errorf("report: render json: %w", err)
	}
	return nil
}
