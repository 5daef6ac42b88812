package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/slad-project/slad/store"
)

// importedSizes names the file, beside the store's, that says what a saved
// import (-imported) holds: the flags that gave its sizes. It is written
// last, so a save cut short is no saved import.
const importedSizes = "sizes"

// importSizes is what importedSizes says for a run's options: the flags
// that give them (-short gives the smoke run's departments).
func importSizes(o options) string {
	short := ""
	if o.short {
		short = " -short"
	}
	return fmt.Sprintf("-history %d%s\n", o.history, short)
}

// loadImport copies the import saved in o.imported, if there is one, into
// dataDir, and says whether it did. One of other sizes is refused, since
// the table would name sizes its figures are not of.
func loadImport(o options, dataDir string) (bool, error) {
	sizes, err := os.ReadFile(filepath.Join(o.imported, importedSizes))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("-imported: %w", err)
	}
	if want := importSizes(o); string(sizes) != want {
		return false, fmt.Errorf("-imported %s holds an import made with %s, not with this run's %s: run with those flags, or give another directory", o.imported, strings.TrimSpace(string(sizes)), strings.TrimSpace(want))
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("-imported: %w", err)
	}
	if err := copyFile(filepath.Join(o.imported, store.FileName), filepath.Join(dataDir, store.FileName)); err != nil {
		return false, fmt.Errorf("-imported: %w", err)
	}
	return true, nil
}

// saveImport copies the store's file in dataDir, as the import left it,
// to o.imported, then says its sizes there.
func saveImport(o options, dataDir string) error {
	if err := os.MkdirAll(o.imported, 0o700); err != nil {
		return fmt.Errorf("-imported: %w", err)
	}
	if err := copyFile(filepath.Join(dataDir, store.FileName), filepath.Join(o.imported, store.FileName)); err != nil {
		return fmt.Errorf("-imported: %w", err)
	}
	return os.WriteFile(filepath.Join(o.imported, importedSizes), []byte(importSizes(o)), 0o600)
}
