package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Writer writes a report in one format.
type Writer func(io.Writer, *Report) error

// DirFormats are the files a report directory holds (--report-dir), by name.
var DirFormats = map[string]Writer{"report.json": JSON, "junit.xml": JUnit, "report.html": HTML}

// WriteFile writes r to path in one format.
func WriteFile(path string, r *Report, write Writer) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f, r); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// WriteDir writes r into dir (made if missing) in every DirFormats format, and returns the
// paths it wrote.
func WriteDir(dir string, r *Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var wrote []string
	for name, write := range DirFormats {
		path := filepath.Join(dir, name)
		if err := WriteFile(path, r, write); err != nil {
			return wrote, err
		}
		wrote = append(wrote, path)
	}
	return wrote, nil
}
