package testsrv

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// pgError is an ErrorResponse from the server.
type pgError struct {
	Severity, Code, Message string
}

func (e *pgError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Severity, e.Code, e.Message)
}

// pgExec speaks just enough of the PostgreSQL frontend/backend protocol
// (version 3) to connect with trust authentication and, if query is not
// empty, run it as a simple query and discard the rows. It lets testsrv wait
// for and set up a server without a driver or the psql binary.
func pgExec(ctx context.Context, addr, user, database, query string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	_ = c.SetDeadline(dl)

	// StartupMessage: length, protocol 3.0, key/value pairs, terminator.
	msg := []byte{0, 0, 0, 0}
	msg = binary.BigEndian.AppendUint32(msg, 3<<16)
	for _, kv := range [][2]string{{"user", user}, {"database", database}, {"application_name", "testsrv"}} {
		msg = append(msg, kv[0]...)
		msg = append(msg, 0)
		msg = append(msg, kv[1]...)
		msg = append(msg, 0)
	}
	msg = append(msg, 0)
	binary.BigEndian.PutUint32(msg, uint32(len(msg)))
	if _, err := c.Write(msg); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	if err := pgReadUntilReady(r, true); err != nil {
		return err
	}
	if query != "" {
		q := []byte{'Q', 0, 0, 0, 0}
		q = append(q, query...)
		q = append(q, 0)
		binary.BigEndian.PutUint32(q[1:], uint32(len(q)-1))
		if _, err := c.Write(q); err != nil {
			return err
		}
		if err := pgReadUntilReady(r, false); err != nil {
			return err
		}
	}
	_, _ = c.Write([]byte{'X', 0, 0, 0, 4})
	return nil
}

// pgReadUntilReady reads messages up to ReadyForQuery and returns the first
// error the server reported. During startup an error ends the connection, so
// it is returned at once.
func pgReadUntilReady(r *bufio.Reader, startup bool) error {
	var first error
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if first != nil {
				return first
			}
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
		if n < 0 || n > 64<<20 {
			return fmt.Errorf("postgres protocol: bad message length %d", n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		switch hdr[0] {
		case 'R': // Authentication*
			if n < 4 {
				return fmt.Errorf("postgres protocol: short authentication message")
			}
			if code := binary.BigEndian.Uint32(body); code != 0 {
				return fmt.Errorf("postgres asks for authentication method %d; testsrv supports only trust", code)
			}
		case 'E':
			err := parsePgError(body)
			if startup {
				return err
			}
			if first == nil {
				first = err
			}
		case 'Z':
			return first
		}
	}
}

func parsePgError(body []byte) error {
	e := &pgError{}
	for len(body) > 0 && body[0] != 0 {
		field := body[0]
		body = body[1:]
		end := 0
		for end < len(body) && body[end] != 0 {
			end++
		}
		val := string(body[:end])
		if end < len(body) {
			end++
		}
		body = body[end:]
		switch field {
		case 'S':
			e.Severity = val
		case 'C':
			e.Code = val
		case 'M':
			e.Message = val
		}
	}
	return e
}
