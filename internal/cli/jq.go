package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
)

// --jq EXPR filters a command's JSON output through a jq expression (gh's
// convention, evaluated in-process with gojq), so runbooks need no jq
// binary. It implies -o json; any other -o is a usage error, and so is a
// command with no JSON output. Results print like gh: a string raw on its
// own line, any other value as one line of compact JSON.
//
// The command itself is unchanged: while it runs, stdout is a buffer; when
// it returns, each JSON document in the buffer goes through the
// expression and the results go to the real stdout. Exit codes are the
// command's own (audit --fail-on still exits 3); a runtime error of the
// expression on a successful command is exit 1.

// compileJQ parses and compiles expr. The settings turn its error into a
// usage error naming the flag and the expression (exit 2).
func compileJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("not a jq expression: %v", err)
	}
	code, err := gojq.Compile(q, gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return nil, fmt.Errorf("not a jq expression: %v", err)
	}
	return code, nil
}

// checkJQOutput resolves the output format under --jq: json when -o is
// absent, a usage error for any other format or a command without JSON.
func checkJQOutput(cmd *cobra.Command, requested string) (string, error) {
	if !slices.Contains(outputFormats(cmd), FormatJSON) {
		return "", UsageErrorf("--jq filters JSON output, and %s has none; drop --jq", cmd.CommandPath())
	}
	if requested != "" && requested != FormatJSON {
		return "", UsageErrorf("--jq filters JSON output and cannot be used with -o %s; drop -o or use -o json", requested)
	}
	return FormatJSON, nil
}

// jqRun holds the real stdout while the command writes to buf.
type jqRun struct {
	expr string
	code *gojq.Code
	out  io.Writer
	buf  bytes.Buffer
}

// startJQ points f's stdout at a buffer for the filter.
func startJQ(f *Factory, s *Settings) {
	if s.JQ == "" {
		return
	}
	code, err := compileJQ(s.JQ) // checked by the settings already
	if err != nil {
		return
	}
	r := &jqRun{expr: s.JQ, code: code, out: f.IO.Out}
	f.IO.Out = &r.buf
	f.jq = r
}

// finishJQ restores f's stdout and writes the filtered output there.
func finishJQ(ctx context.Context, f *Factory) error {
	r := f.jq
	if r == nil {
		return nil
	}
	f.jq = nil
	f.IO.Out = r.out
	return r.filter(ctx, r.buf.Bytes(), r.out)
}

// filter runs the expression on every JSON document in doc and writes the
// results to w.
func (r *jqRun) filter(ctx context.Context, doc []byte, w io.Writer) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out bytes.Buffer
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("--jq: the command's output is not JSON: %w", err)
		}
		iter := r.code.RunWithContext(ctx, normalizeJQ(v))
		for {
			x, ok := iter.Next()
			if !ok {
				break
			}
			if err, isErr := x.(error); isErr {
				var halt *gojq.HaltError
				if errors.As(err, &halt) && halt.Value() == nil {
					break // halt: stop without an error
				}
				// What was printed so far still goes out, as jq does.
				_, _ = w.Write(out.Bytes())
				return fmt.Errorf("--jq %q: %v", r.expr, err)
			}
			if s, isStr := x.(string); isStr {
				out.WriteString(s)
			} else {
				b, err := gojq.Marshal(x)
				if err != nil {
					return fmt.Errorf("--jq %q: %v", r.expr, err)
				}
				out.Write(b)
			}
			out.WriteByte('\n')
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

// normalizeJQ turns json.Number into the int or float64 gojq computes
// with, so arithmetic and comparisons on numbers work.
func normalizeJQ(v any) any {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(x.String(), ".eE") {
			if i, err := x.Int64(); err == nil {
				return int(i)
			}
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJQ(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeJQ(e)
		}
	}
	return v
}
