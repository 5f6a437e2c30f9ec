package payload

import (
	"bytes"
	"encoding/json"
)

// SplitValidArgs splits the JSON array of an EVENT or ACK into its items,
// as [SplitArgs] does, without validating data again: data must be valid
// JSON, as the Data of a packet from [ParsePacket] is. The items alias
// data. It looks at each byte once and skips string contents with
// bytes.IndexByte, so a megabyte argument costs a small fraction of a
// decode. On input that is not valid JSON it returns ErrPacket or items
// that fail to decode later; it never panics.
func SplitValidArgs(data []byte) ([]json.RawMessage, error) {
	if len(data) == 0 {
		return nil, nil
	}
	i := skipSpace(data, 0)
	if bytes.HasPrefix(data[i:], []byte("null")) && skipSpace(data, i+4) == len(data) {
		return nil, nil // as json.Unmarshal leaves a slice
	}
	if i == len(data) || data[i] != '[' {
		return nil, ErrPacket
	}
	items := make([]json.RawMessage, 0, 4) // an event's name and a few arguments
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		if skipSpace(data, i+1) != len(data) {
			return nil, ErrPacket
		}
		return items, nil
	}
	for i < len(data) {
		end := valueEnd(data, i)
		if end <= i {
			return nil, ErrPacket
		}
		items = append(items, json.RawMessage(data[i:end:end]))
		i = skipSpace(data, end)
		if i == len(data) {
			break
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			if skipSpace(data, i+1) != len(data) {
				return nil, ErrPacket
			}
			return items, nil
		default:
			return nil, ErrPacket
		}
	}
	return nil, ErrPacket
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at
// data[i], or i when there is none.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return quotedEnd(data, i)
	case '[', '{':
	default: // a number or literal: up to the next delimiter
		j := i
		for j < len(data) {
			switch data[j] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				return j
			}
			j++
		}
		return j
	}
	depth := 0
	for j := i; j < len(data); {
		switch data[j] {
		case '"':
			k := quotedEnd(data, j)
			if k <= j {
				return i
			}
			j = k
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
		j++
	}
	return i
}

// quotedEnd returns the index just past the string that starts with the
// quote at data[i], or i when it does not end.
func quotedEnd(data []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return i
		}
		j += k
		// The quote is escaped when an odd run of backslashes precedes it.
		n := 0
		for b := j - 1; b > i && data[b] == '\\'; b-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}
