// go_client.go - Go net/http (the toolchain's own, Go 1.19 on Debian 12) for client_matrix.py.
// Built by the matrix with GO111MODULE=off GOPROXY=off (standard library only).
//
// Usage: go_client URL1 URL2 [User-Agent]
// Request 1: PROPFIND URL1 with Depth: 1; request 2: GET URL2, on one http.Client (one
// keep-alive pool). No User-Agent argument: Go's default ("Go-http-client/1.1").
// 1xx are counted with httptrace Got1xxResponse; connection reuse with GotConn.
// Prints one JSON line {"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"time"
)

type result struct {
	Status  int    `json:"status"`
	Body    string `json:"body"`
	Interim []int  `json:"interim"`
	Reused  bool   `json:"reused"`
	Error   string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: go_client URL1 URL2 [User-Agent]")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 20 * time.Second} // a hang is a failure, not a stuck test
	var out struct {
		Requests []result `json:"requests"`
	}
	for i, u := range os.Args[1:3] {
		method := "GET"
		if i == 0 {
			method = "PROPFIND"
		}
		r := result{Interim: []int{}}
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if i == 0 {
			req.Header.Set("Depth", "1")
		}
		if len(os.Args) > 3 {
			req.Header.Set("User-Agent", os.Args[3])
		}
		trace := &httptrace.ClientTrace{
			Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
				r.Interim = append(r.Interim, code)
				return nil
			},
			GotConn: func(info httptrace.GotConnInfo) { r.Reused = info.Reused },
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, err := client.Do(req)
		if err != nil {
			r.Error = err.Error()
		} else {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			r.Status, r.Body = resp.StatusCode, string(body)
			if err != nil {
				r.Error = err.Error()
			}
		}
		out.Requests = append(out.Requests, r)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
