package journal

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/akresp/akresp/internal/state"
)

const lineDomain = "akresp-journal-v1"

// sealLine turns the JSON object b (one encoded Record) into a journal line:
// the same object with "seq" (its position, from 1) and "mac" appended.
// The MAC covers the key id, the file name, seq, the previous line's MAC
// and every other member, so a line cannot be edited, dropped, reordered
// or moved to another journal without failing verification.
func sealLine(key []byte, keyID, file string, seq int, prev string, b []byte) (line []byte, mac string, err error) {
	if len(b) < 2 || b[len(b)-1] != '}' {
		return nil, "", fmt.Errorf("a record must encode as a JSON object")
	}
	withSeq := make([]byte, 0, len(b)+100)
	withSeq = append(withSeq, b[:len(b)-1]...)
	if len(b) > 2 {
		withSeq = append(withSeq, ',')
	}
	withSeq = append(withSeq, `"seq":`+strconv.Itoa(seq)+`}`...)
	canon, _, err := state.Canonical(withSeq, "mac")
	if err != nil {
		return nil, "", err
	}
	mac = state.MAC(key, lineDomain, keyID, file, strconv.Itoa(seq), prev, canon)
	line = append(withSeq[:len(withSeq)-1], `,"mac":"`+mac+`"}`+"\n"...)
	return line, mac, nil
}

// verifyLine checks one journal line expected at position seq after a line
// with MAC prev, and returns its MAC. The caller fills in File and Line.
func verifyLine(key []byte, keyID, file string, seq int, prev string, b []byte) (string, *state.IntegrityError) {
	canon, _, err := state.Canonical(b, "mac")
	if err != nil {
		return "", &state.IntegrityError{Reason: "not a JSON object: " + err.Error()}
	}
	var got struct {
		Seq *int   `json:"seq"`
		MAC string `json:"mac"`
	}
	_ = json.Unmarshal(b, &got)
	if got.MAC == "" || got.Seq == nil {
		return "", &state.IntegrityError{Field: "mac", Reason: "the record carries no MAC (written by hand, or by an akresp without integrity checks)"}
	}
	if *got.Seq != seq {
		reason := fmt.Sprintf("record number %d where %d was expected", *got.Seq, seq)
		switch {
		case *got.Seq > seq:
			reason += fmt.Sprintf(": %d record(s) before it were deleted", *got.Seq-seq)
		default:
			reason += ": records were reordered or repeated"
		}
		return "", &state.IntegrityError{Field: "seq", Reason: reason}
	}
	want := state.MAC(key, lineDomain, keyID, file, strconv.Itoa(seq), prev, canon)
	if !state.MACEqual(want, got.MAC) {
		return "", &state.IntegrityError{Reason: "the record does not match its MAC: it was edited after akresp wrote it, or a record before it was replaced"}
	}
	return got.MAC, nil
}
