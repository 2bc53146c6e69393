package main

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/secretkit/secretkit/provider"
)

//go:embed templates/*.html static/*
var assets embed.FS

// readTimeout bounds one secret read, token request included, so a vault
// that never answers becomes the "unreachable" page instead of a hung tab.
const readTimeout = 20 * time.Second

// app serves the sample's pages. It holds one provider for its lifetime and
// reads the secret on every request, uncached, so the page shows the vault's
// state (a granted permission or a new version) on the next click.
type app struct {
	cfg     config
	secrets provider.SecretProvider
	source  string
	log     *slog.Logger
	pages   map[string]*template.Template
	mux     *http.ServeMux
}

// newApp returns the handler of the sample app reading cfg.SecretName from
// secrets. source describes where secrets come from, for the Home page. The
// app owns secrets from then on: Close closes it.
func newApp(cfg config, secrets provider.SecretProvider, source string, logger *slog.Logger) (*app, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &app{cfg: cfg, secrets: secrets, source: source, log: logger, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	for _, page := range []string{"home", "secret", "problem"} {
		t, err := template.ParseFS(assets, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		a.pages[page] = t
	}
	a.mux.HandleFunc("GET /{$}", a.serveHome)
	a.mux.HandleFunc("GET /secret", a.serveSecret)
	a.mux.HandleFunc("POST /secret", a.serveSecret)
	a.mux.Handle("GET /static/", http.FileServerFS(assets))
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.render(w, http.StatusNotFound, "problem", problemPage{Problem: problem{
			Status: http.StatusNotFound,
			Title:  "No such page",
			Plain:  "This app has two pages: Home and Get Secret.",
		}})
	})
	return a, nil
}

// Close releases the provider.
func (a *app) Close() error { return provider.Close(a.secrets) }

// ServeHTTP sets headers every page needs: nothing is cached (a revealed
// value must not stay in a shared cache or the back button), and the pages
// load nothing from elsewhere.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	a.mux.ServeHTTP(w, r)
}

type homePage struct {
	Source     string
	SecretName string
}

func (a *app) serveHome(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "home", homePage{Source: a.source, SecretName: a.cfg.SecretName})
}

// secretPage is the Get Secret page. Value is set only after the user asked
// to reveal it; otherwise the template shows a mask of fixed width, so not
// even the length is on the page.
type secretPage struct {
	Name     string
	Version  string
	Updated  string
	Type     string
	Revealed bool
	Value    string
}

// serveSecret reads the secret: GET shows it masked, POST (the reveal
// button) shows its value. The reveal form carries the version the masked
// page showed, so the value revealed is the one the user was looking at
// even if a new version appeared in between.
func (a *app) serveSecret(w http.ResponseWriter, r *http.Request) {
	reveal := r.Method == http.MethodPost
	version := ""
	if reveal {
		version = r.PostFormValue("version")
	}
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	s, err := a.secrets.GetSecret(ctx, a.cfg.SecretName, version)
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the browser went away; nobody to answer
		}
		p := diagnose(err, a.cfg)
		// Provider errors never carry a value, so the error text is safe
		// to log; it is what an operator needs next to the page's summary.
		a.log.Warn("reading secret failed", "secret", a.cfg.SecretName, "problem", p.Kind, "status", p.Status, "err", err)
		a.render(w, p.Status, "problem", problemPage{Problem: p, Detail: err.Error()})
		return
	}
	page := secretPage{Name: s.Name, Version: s.Version, Type: s.ContentType, Revealed: reveal}
	if !s.Updated.IsZero() {
		page.Updated = s.Updated.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if reveal {
		page.Value = s.Value.Reveal()
	}
	a.log.Info("secret read", "secret", s.Name, "version", s.Version, "revealed", reveal)
	a.render(w, http.StatusOK, "secret", page)
}

type problemPage struct {
	Problem problem
	Detail  string
}

func (a *app) render(w http.ResponseWriter, status int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := a.pages[page].ExecuteTemplate(w, "layout", data); err != nil {
		// Headers are gone; the half page is all the browser gets. The
		// error names the template, never the data.
		a.log.Error("rendering page failed", "page", page, "err", err)
	}
}
