package handlers

import (
	"io"
	"net/http"
	"strconv"
	"testing"
)

// TestRenderedPagesSayTheirLength: a rendered page goes out with its Content-Length, in one
// piece, not in chunks (net/http chunks any body over 2 KB whose length it was not told):
// the start page, a section with the municipality picker (60 KB), and a page of the
// researcher; HEAD says the same length without a body.
func TestRenderedPagesSayTheirLength(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	for _, path := range []string{"/s/" + refSlug, "/s/" + refSlug + "/stap/1", "/toegankelijkheid"} {
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+path, nil)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || len(body) <= 2048 {
			t.Fatalf("%s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
		if len(resp.TransferEncoding) > 0 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: %d bytes sent as %v with Content-Length %d", path, len(body), resp.TransferEncoding, resp.ContentLength)
		}
		head, _ := http.NewRequest(http.MethodHead, app.srv.URL+path, nil)
		hresp, err := c.http.Do(head)
		if err != nil {
			t.Fatal(err)
		}
		hresp.Body.Close()
		if got := hresp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) && hresp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("HEAD %s: %d, Content-Length %q, want %d", path, hresp.StatusCode, got, len(body))
		}
	}
}
