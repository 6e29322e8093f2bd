package handlers

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gorilla/securecookie"
)

// stringsCodec serialises a respondent's session, whose keys and values are all strings (the
// resume token, an invitation, a preview, a flash), as length-prefixed strings after a 0
// byte. gob, securecookie's default, builds a decoder for every cookie it reads, which cost a
// measurable part of each respondent request. A cookie that does not start with 0 was written
// by gob (which never starts a stream with 0) before this codec, and is read by gob; a
// session with any other value is written by gob as well.
type stringsCodec struct{ gob securecookie.GobEncoder }

func (s stringsCodec) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return s.gob.Serialize(src)
	}
	out := []byte{0}
	for k, v := range values {
		ks, ok1 := k.(string)
		vs, ok2 := v.(string)
		if !ok1 || !ok2 {
			return s.gob.Serialize(src)
		}
		out = binary.AppendUvarint(out, uint64(len(ks)))
		out = append(out, ks...)
		out = binary.AppendUvarint(out, uint64(len(vs)))
		out = append(out, vs...)
	}
	return out, nil
}

var errBadSession = errors.New("session: malformed strings")

func (s stringsCodec) Deserialize(src []byte, dst any) error {
	if len(src) == 0 || src[0] != 0 {
		return s.gob.Deserialize(src, dst)
	}
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session: cannot decode into %T", dst)
	}
	if *values == nil {
		*values = map[any]any{}
	}
	rest := src[1:]
	next := func() (string, bool) {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return "", false
		}
		str := string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
		return str, true
	}
	for len(rest) > 0 {
		k, ok1 := next()
		v, ok2 := next()
		if !ok1 || !ok2 {
			return errBadSession
		}
		(*values)[k] = v
	}
	return nil
}
