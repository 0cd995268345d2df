package web

import (
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/trymetriqs/metriqs/lib/problem"
)

// Decode reads r's JSON body into v strictly, as API.md promises: at most MaxBody bytes (413
// beyond), a JSON content type, exactly one value, and a 400 invalid_request naming the field
// for an unknown field, a field name in the wrong case, a name given twice, or text that is not
// valid UTF-8 (RFC 8259 §8.1) — including an escaped lone surrogate such as "\ud800". Nothing
// is replaced by U+FFFD, so what is stored is what was sent.
//
// encoding/json (v1) can refuse none of the last three; encoding/json/v2's defaults refuse them
// all (case-sensitive names, AllowDuplicateNames and AllowInvalidUTF8 false), and the one
// option set here refuses unknown fields.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonContentType(r); err != nil {
		return err
	}
	err := jsonv2.UnmarshalRead(http.MaxBytesReader(w, r.Body, MaxBody), v, jsonv2.RejectUnknownMembers(true))
	if err != nil {
		return decodeError(err)
	}
	return nil
}

func jsonContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt := strings.TrimSpace(strings.ToLower(strings.SplitN(ct, ";", 2)[0])); mt != "application/json" {
		return &problem.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Send the request body as application/json."}
	}
	return nil
}

// decodeError turns json/v2's errors into API.md's envelope. Both of its error types carry
// the JSON pointer of the value at fault, which names the field.
func decodeError(err error) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *jsontext.SyntacticError
		semantic *jsonv2.SemanticError
	)
	if p, ok := problem.As(err); ok {
		return p // a field's own UnmarshalJSON said what is wrong
	}
	switch {
	case errors.As(err, &tooLarge):
		return problem.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("The request body is larger than %d KiB.", MaxBody>>10))
	case errors.As(err, &syntax):
		return syntaxError(syntax)
	case errors.As(err, &semantic):
		return semanticError(semantic)
	}
	return problem.Internal(fmt.Errorf("decode request: %w", err)) // e.g. v is not a pointer
}

func syntaxError(e *jsontext.SyntacticError) error {
	field := fieldName(e.JSONPointer)
	switch {
	case errors.Is(e.Err, io.ErrUnexpectedEOF) && e.ByteOffset == 0:
		return problem.Invalid("", "The request body is empty; send a JSON object.")
	case errors.Is(e.Err, jsontext.ErrDuplicateName):
		return problem.Invalid(field, fmt.Sprintf("Field %q appears more than once.", field))
	case field != "" && badText(e.Err):
		return problem.Invalid(field, fmt.Sprintf("Field %q is not valid UTF-8 text (no invalid bytes, no lone surrogates).", field))
	case badText(e.Err):
		return problem.Invalid("", "The request body is not valid UTF-8 text (no invalid bytes, no lone surrogates).")
	case strings.Contains(e.Err.Error(), "after top-level value"):
		return problem.Invalid("", "The request body must hold a single JSON value.")
	}
	return problem.Invalid("", "The request body is not valid JSON.")
}

// badText reports an invalid UTF-8 byte or an escaped lone surrogate; jsontext exports no
// sentinel for either, only its message.
func badText(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UTF-8") || strings.Contains(msg, "surrogate")
}

func semanticError(e *jsonv2.SemanticError) error {
	field := fieldName(e.JSONPointer)
	switch {
	case errors.Is(e, jsonv2.ErrUnknownName):
		return problem.Invalid(field, fmt.Sprintf("Field %q is not accepted here (field names are case-sensitive).", field))
	case field == "":
		return problem.Invalid("", fmt.Sprintf("The request body must be a JSON object, not %s.", kindName(e.JSONKind)))
	case e.GoType == nil:
		return problem.Invalid(field, fmt.Sprintf("Field %q has an unacceptable value.", field))
	case isIndex(e.JSONPointer.LastToken()):
		return problem.Invalid(field, fmt.Sprintf("Each item of field %q must be %s, not %s.", field, typeName(e.GoType.String()), kindName(e.JSONKind)))
	}
	return problem.Invalid(field, fmt.Sprintf("Field %q must be %s, not %s.", field, typeName(e.GoType.String()), kindName(e.JSONKind)))
}

// fieldName is the request field a JSON pointer designates, its object member names joined
// with dots (RFC 6901: "/period/start" → "period.start"); array indexes are left out, so an
// element's error names its list ("/selected/2" → "selected").
func fieldName(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		if !isIndex(tok) {
			names = append(names, tok)
		}
	}
	return strings.Join(names, ".")
}

func isIndex(tok string) bool {
	_, err := strconv.ParseUint(tok, 10, 64)
	return err == nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	}
	return "an object"
}

func typeName(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}
