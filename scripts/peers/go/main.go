// The Go peer of scripts/bench: the same pages as scripts/peers/reports/*.sql,
// net/http and pgx v4's pgxpool (32 connections; pgx prepares and caches each
// statement per connection). Twenty queries go out as one pgx batch, pipelined
// on one connection as asyncpage pipelines its twenty sections.
// Usage: gopeer PORT   (PGHOST, PGPORT, PGDATABASE, PGUSER from the environment)
// Built offline by scripts/bench from Debian's golang-go and
// golang-github-jackc-pgx-v4-dev (GOPATH mode).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

const one = "SELECT id, name, price FROM bench_items WHERE id = $1"

type section struct {
	Name   string          `json:"name"`
	Status string          `json:"status"`
	Rows   [][]interface{} `json:"rows"`
}

type page struct {
	Report   string    `json:"report"`
	Status   string    `json:"status"`
	Sections []section `json:"sections"`
}

type badParam struct{ msg string }

func (e badParam) Error() string { return e.msg }

var pool *pgxpool.Pool

func idParam(r *http.Request, name string) (int32, error) {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || v < 1 || v > 10000 {
		return 0, badParam{name + ": must be an integer between 1 and 10000"}
	}
	return int32(v), nil
}

func writeJSON(w http.ResponseWriter, p page) {
	body, err := json.Marshal(p)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// One bench_items row as the other peers send it: numeric as its exact text.
func itemRow(row pgx.Row) ([]interface{}, error) {
	var id int32
	var name string
	var price pgtype.Numeric
	if err := row.Scan(&id, &name, &price); err != nil {
		return nil, err
	}
	return []interface{}{id, name, numericText(price)}, nil
}

// A numeric as PostgreSQL writes it, scale kept ("5.20"): pgx decodes the binary
// form into digits and a power of ten (520e-2).
func numericText(n pgtype.Numeric) string {
	if n.NaN {
		return "NaN"
	}
	digits := n.Int.String()
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if n.Exp >= 0 {
		return sign + digits + strings.Repeat("0", int(n.Exp))
	}
	scale := int(-n.Exp)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// asyncpage's own Fortunes page with its rows, times and count left out
// (BENCH_FORTUNES, written by scripts/bench), read on first use.
var (
	fortunesOnce       sync.Once
	fortunesHead, tail string
)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&#39;")

type fortune struct {
	id      int32
	message string
}

func fortunes(ctx context.Context, w http.ResponseWriter) error {
	fortunesOnce.Do(func() {
		b, err := os.ReadFile(os.Getenv("BENCH_FORTUNES"))
		if err != nil {
			log.Fatalf("BENCH_FORTUNES: %v", err)
		}
		parts := strings.SplitN(string(b), "@ROWS@", 2)
		fortunesHead, tail = parts[0], parts[1]
	})
	t0 := time.Now()
	rows, err := pool.Query(ctx, "SELECT id, message FROM fortune")
	if err != nil {
		return err
	}
	var list []fortune
	for rows.Next() {
		var f fortune
		if err := rows.Scan(&f.id, &f.message); err != nil {
			rows.Close()
			return err
		}
		list = append(list, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	list = append(list, fortune{0, "Additional fortune added at request time."})
	sort.Slice(list, func(i, j int) bool { return list[i].message < list[j].message })
	var b strings.Builder
	ms := fmt.Sprintf("%.1f", float64(time.Since(t0).Microseconds())/1000)
	b.WriteString(strings.ReplaceAll(fortunesHead, "@MS@", ms))
	for _, f := range list {
		fmt.Fprintf(&b, "<tr><td class=\"n\">%d</td><td>%s</td></tr>\n", f.id, escaper.Replace(f.message))
	}
	b.WriteString(strings.Replace(tail, "@COUNT@", strconv.Itoa(len(list)), 1))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, err = w.Write([]byte(b.String()))
	return err
}

func handle(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	switch path.Base(r.URL.Path) {
	case "sleep1":
		var v int32
		if err := pool.QueryRow(ctx, "SELECT 1 AS slept FROM pg_sleep(1)").Scan(&v); err != nil {
			return err
		}
		writeJSON(w, page{"sleep1", "ok", []section{{"slept", "ok", [][]interface{}{{v}}}}})
	case "trivial":
		var v int32
		if err := pool.QueryRow(ctx, "SELECT 1 AS one").Scan(&v); err != nil {
			return err
		}
		writeJSON(w, page{"trivial", "ok", []section{{"one", "ok", [][]interface{}{{v}}}}})
	case "onerow":
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		row, err := itemRow(pool.QueryRow(ctx, one, id))
		if err != nil {
			return err
		}
		writeJSON(w, page{"onerow", "ok", []section{{"item", "ok", [][]interface{}{row}}}})
	case "twenty":
		batch := &pgx.Batch{}
		for i := 1; i <= 20; i++ {
			id, err := idParam(r, "id"+strconv.Itoa(i))
			if err != nil {
				return err
			}
			batch.Queue(one, id)
		}
		results := pool.SendBatch(ctx, batch)
		sections := make([]section, 0, 20)
		for i := 1; i <= 20; i++ {
			row, err := itemRow(results.QueryRow())
			if err != nil {
				results.Close()
				return err
			}
			sections = append(sections, section{"q" + strconv.Itoa(i), "ok", [][]interface{}{row}})
		}
		if err := results.Close(); err != nil {
			return err
		}
		writeJSON(w, page{"twenty", "ok", sections})
	case "fortunes":
		return fortunes(ctx, w)
	default:
		http.Error(w, "no such page", http.StatusNotFound)
	}
	return nil
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gopeer PORT")
	}
	config, err := pgxpool.ParseConfig("")
	if err != nil {
		log.Fatal(err)
	}
	config.MaxConns = 32
	pool, err = pgxpool.ConnectConfig(context.Background(), config)
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := handle(w, r); err != nil {
			var bad badParam
			if errors.As(err, &bad) {
				http.Error(w, bad.msg, http.StatusBadRequest)
				return
			}
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], nil))
}
