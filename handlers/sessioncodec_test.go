package handlers

import (
	"testing"

	"github.com/gorilla/securecookie"
)

// TestSessionCodecReadsItsOwnAndGobCookies: a session of strings survives the round trip, a
// cookie written by gob before the codec still reads, and a session with another value
// falls back to gob.
func TestSessionCodecReadsItsOwnAndGobCookies(t *testing.T) {
	hash, block := []byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")
	ours := securecookie.New(hash, block).SetSerializer(stringsCodec{})
	gob := securecookie.New(hash, block)
	values := map[any]any{"draft:klantcontact-2018": "token-ÿ\x00;=", "flash": "", "invite:x": "abc"}
	for name, writer := range map[string]*securecookie.SecureCookie{"strings": ours, "gob": gob} {
		enc, err := writer.Encode("peiling", values)
		if err != nil {
			t.Fatal(err)
		}
		got := map[any]any{}
		if err := ours.Decode("peiling", enc, &got); err != nil {
			t.Fatalf("%s cookie: %v", name, err)
		}
		if len(got) != len(values) {
			t.Fatalf("%s cookie: %v", name, got)
		}
		for k, v := range values {
			if got[k] != v {
				t.Errorf("%s cookie: %q = %q, want %q", name, k, got[k], v)
			}
		}
	}
	mixed := map[any]any{"seen": int64(5)}
	enc, err := ours.Encode("peiling", mixed)
	if err != nil {
		t.Fatal(err)
	}
	got := map[any]any{}
	if err := gob.Decode("peiling", enc, &got); err != nil || got["seen"] != int64(5) {
		t.Errorf("a session with a number is not gob: %v %v", got, err)
	}
	if err := (stringsCodec{}).Deserialize([]byte{0, 5, 'a'}, &got); err == nil {
		t.Error("a truncated session decoded")
	}
}

func BenchmarkSessionCodec(b *testing.B) {
	hash, block := []byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef")
	values := map[any]any{"draft:klantcontact-2018": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy"}
	for name, sc := range map[string]*securecookie.SecureCookie{"gob": securecookie.New(hash, block), "strings": securecookie.New(hash, block).SetSerializer(stringsCodec{})} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				enc, err := sc.Encode("peiling", values)
				if err != nil {
					b.Fatal(err)
				}
				got := map[any]any{}
				if err := sc.Decode("peiling", enc, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
