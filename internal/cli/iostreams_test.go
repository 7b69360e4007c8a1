package cli

import "testing"

func TestIOStreamsFlags(t *testing.T) {
	ios, _, _, _ := TestStreams()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() || ios.ColorEnabled() || ios.CanPrompt() {
		t.Fatal("test streams must start with every flag off")
	}
	t.Setenv("COLUMNS", "")
	if ios.TerminalWidth() != defaultTerminalWidth {
		t.Errorf("TerminalWidth = %d", ios.TerminalWidth())
	}
	t.Setenv("COLUMNS", "132")
	if ios.TerminalWidth() != 132 {
		t.Errorf("TerminalWidth with COLUMNS = %d", ios.TerminalWidth())
	}
	ios.SetTerminalWidth(50)
	if ios.TerminalWidth() != 50 {
		t.Errorf("TerminalWidth override = %d", ios.TerminalWidth())
	}
	ios.SetStdinTTY(true)
	if ios.CanPrompt() {
		t.Error("CanPrompt with stdout piped")
	}
	ios.SetStdoutTTY(true)
	ios.SetStderrTTY(true)
	ios.SetColorEnabled(true)
	if !ios.CanPrompt() || !ios.IsStderrTTY() || !ios.ColorEnabled() {
		t.Error("setters did not stick")
	}
}
