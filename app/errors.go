package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/store"
)

// Kind classifies a use case's error for its callers: the CLI's exit status
// and the HTTP status both derive from it, in one place.
type Kind int

// Error kinds.
const (
	KindInternal        Kind = iota // a fault of the system: logged, shown as "内部错误"
	KindInvalid                     // the request or its input is wrong (HTTP 400)
	KindUnauthenticated             // no valid login (401)
	KindForbidden                   // logged in, but not allowed (403)
	KindNotFound                    // no such record (404)
	KindConflict                    // the record's state refuses it (409)
	KindTooLarge                    // above a size limit (413)
	KindRateLimited                 // too many attempts (429)
	KindBusy                        // the database is busy: try again (503)
)

// Code is the English code of the kind, as the API returns it.
func (k Kind) Code() string {
	return [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not_found", "conflict", "too_large", "rate_limited", "busy"}[k]
}

// Error is an error of a use case with its kind and a message for the person
// who made the request: no internal package prefixes, no server paths.
type Error struct {
	Kind    Kind
	Message string
	err     error // the cause, for logs and errors.Is
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.err }

// errorf returns an *Error of kind k.
func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// ErrUnauthenticated and ErrForbidden are the access errors.
var (
	ErrUnauthenticated = &Error{Kind: KindUnauthenticated, Message: "未登录或登录已过期（unauthenticated）"}
	ErrForbidden       = &Error{Kind: KindForbidden, Message: "无权限（forbidden）"}
)

// KindOf returns the kind of err: that of an *Error in its chain, else the
// kind the domain's sentinels imply (pipeline.ErrInvalid, ErrNotFound, the
// store's busy and exists errors), else KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		return KindNotFound
	case errors.Is(err, evidence.ErrTooLarge), errors.Is(err, ledger.ErrTooLarge):
		return KindTooLarge
	case errors.Is(err, pipeline.ErrInvalid):
		return KindInvalid
	case errors.Is(err, store.ErrExists):
		return KindConflict
	case isBusy(err):
		return KindBusy
	}
	return KindInternal
}

// isBusy reports a database that stayed locked past the store's bounded wait.
func isBusy(err error) bool {
	return errors.Is(err, store.ErrBusy)
}

// internalPrefixes are the package prefixes of wrapped errors that mean
// nothing to a user.
var internalPrefixes = []string{"store: ", "pipeline: ", "judge: ", "task: ", "reconcile: ", "casework: ", "ledger: ", "export: ", "evidence: ", "app: ", "raster: ", "detect: "}

// PublicMessage returns what a person may be shown of err: the message of
// an *Error, or the error's text without internal package prefixes for
// invalid input; a generic text for internal faults (which are logged).
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch KindOf(err) {
	case KindInternal:
		return "内部错误（internal error）"
	case KindBusy:
		return "数据库忙，请稍后重试（database busy, retry）"
	}
	return clean(err.Error())
}

// clean removes internal package prefixes and the sentinels' own texts.
func clean(msg string) string {
	for _, s := range []string{pipeline.ErrInvalid.Error(), pipeline.ErrNotFound.Error()} {
		msg = strings.ReplaceAll(msg, ": "+s, "")
		msg = strings.ReplaceAll(msg, s+": ", "")
	}
	for changed := true; changed; {
		changed = false
		for _, p := range internalPrefixes {
			if strings.Contains(msg, p) {
				msg = strings.ReplaceAll(msg, p, "")
				changed = true
			}
		}
	}
	return strings.TrimSpace(msg)
}

// notFound returns a not-found error naming what is missing.
func notFound(what, id string, cause error) *Error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf("%s %s 不存在（not found）", what, id), err: cause}
}

// invalid returns an invalid-input error.
func invalid(format string, args ...any) *Error {
	e := errorf(KindInvalid, format, args...)
	e.err = pipeline.ErrInvalid
	return e
}

// wrapNotFound turns a store's not-found into a not-found *Error naming what
// and id; other errors pass.
func wrapNotFound(err error, what, id string) error {
	if err != nil && errors.Is(err, pipeline.ErrNotFound) {
		return notFound(what, id, err)
	}
	return err
}
