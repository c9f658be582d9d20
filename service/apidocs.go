package service

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

// apidocsFS holds the API page (our own, no CDN: it works offline) and the spec.
//
//go:embed apidocs
var apidocsFS embed.FS

// spec returns apispec_1.json with basePath set to the URL prefix (as flasgger does
// when the prefix is not empty), keys sorted.
func (s *Server) spec() ([]byte, error) {
	b, err := apidocsFS.ReadFile("apidocs/apispec.json")
	if err != nil {
		return nil, err
	}
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // numbers written as the spec has them
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if s.opts.URLPrefix != "" {
		v["basePath"] = s.opts.URLPrefix
	}
	var j jsonBuf
	appendValue(&j, v)
	j.b = append(j.b, '\n')
	return j.b, nil
}

func (s *Server) handleSpec(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	b, err := s.spec()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(b)
	return err
}

// handleDocs serves the API page and its assets under /apidocs/.
func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	name := strings.TrimPrefix(r.URL.Path, "/apidocs/")
	switch name {
	case "index.html":
		http.Redirect(w, r, s.opts.URLPrefix+"/apidocs/", http.StatusMovedPermanently)
		return nil
	case "":
		name = "index.html"
	case "apispec.json":
		return &Error{Status: http.StatusNotFound, Message: "no such path: " + r.URL.Path}
	}
	sub, err := fs.Sub(apidocsFS, "apidocs")
	if err != nil {
		return err
	}
	if _, err := fs.Stat(sub, name); err != nil {
		return &Error{Status: http.StatusNotFound, Message: "no such path: " + r.URL.Path}
	}
	http.ServeFileFS(w, r, sub, name)
	return nil
}
