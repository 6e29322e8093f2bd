package main

import (
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// The host's time zone files cannot be hidden from a test, so this checks the import that
// makes the binary carry its own: without it, a container without /usr/share/zoneinfo shows
// and reads closing times an hour off in summer.
func TestBinaryCarriesItsOwnTimeZoneDatabase(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "time/tzdata" {
			return
		}
	}
	t.Error(`main.go does not import _ "time/tzdata"`)
}
