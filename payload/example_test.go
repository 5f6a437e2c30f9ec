package payload_test

import (
	"fmt"

	"github.com/sockio/sockio/payload"
)

func ExampleParsePacket() {
	// The data of the Engine.IO message `42/admin,456["project:delete",123]`.
	p, attachments, err := payload.ParsePacket([]byte(`2/admin,456["project:delete",123]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Type, p.Nsp(), p.ID, p.HasID, string(p.Data), attachments)

	args, _ := payload.SplitArgs(p.Data)
	fmt.Printf("%s\n", args)

	// A binary event announces its attachments; they follow as binary
	// messages.
	p, attachments, _ = payload.ParsePacket([]byte(`51-["baz",{"_placeholder":true,"num":0}]`))
	fmt.Println(p.Type, attachments)

	_, _, err = payload.ParsePacket([]byte(`2["disconnect"]`))
	fmt.Println(err)
	// Output:
	// EVENT /admin 456 true ["project:delete",123] 0
	// ["project:delete" 123]
	// BINARY_EVENT 1
	// payload: invalid socket.io packet
}

func ExampleEncodeEvent() {
	data, attachments, err := payload.EncodeEvent("upload", []any{
		"<b>a&b</b>",
		map[string]any{"name": "a.bin", "content": []byte{1, 2, 3, 4}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := payload.Packet{Type: payload.BinaryEvent, Namespace: "/files", Data: data, Attachments: attachments}
	frames := []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendPacket(nil, &p)}}
	for _, a := range attachments {
		frames = append(frames, payload.Frame{Type: payload.FrameMessage, Binary: true, Data: a})
	}
	for _, f := range frames {
		fmt.Printf("%s\n", payload.AppendEIO4Frame(nil, f))
	}

	// The receiver puts the attachments back.
	p2, n, _ := payload.ParsePacket(frames[0].Data)
	p2.Attachments = attachments[:n]
	items, _ := payload.SplitArgs(p2.Data)
	args, _ := payload.DecodeArgs(items, p2.Attachments)
	fmt.Println(args...)
	// Output:
	// 451-/files,["upload","<b>a&b</b>",{"content":{"_placeholder":true,"num":0},"name":"a.bin"}]
	// bAQIDBA==
	// upload <b>a&b</b> map[content:[1 2 3 4] name:a.bin]
}

func ExampleAppendEIO4Payload() {
	body := payload.AppendEIO4Payload(nil, []payload.Frame{
		{Type: payload.FrameMessage, Data: []byte("hello")},
		{Type: payload.FramePing},
		{Type: payload.FrameMessage, Binary: true, Data: []byte{1, 2, 3, 4}},
	})
	fmt.Printf("%q\n", body)

	frames, err := payload.DecodeEIO4Payload(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range frames {
		fmt.Printf("%v binary=%v %q\n", f.Type, f.Binary, f.Data)
	}

	_, err = payload.DecodeEIO4Payload([]byte("4a\x1e"))
	fmt.Println(err)
	// Output:
	// "4hello\x1e2\x1ebAQIDBA=="
	// message binary=false "hello"
	// ping binary=false ""
	// message binary=true "\x01\x02\x03\x04"
	// payload: parse error
}
