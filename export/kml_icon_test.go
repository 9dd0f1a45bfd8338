package export

import (
	"archive/zip"
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// The KML markers come with the file: a data URI on its own, a file in the
// bundle; nothing is fetched from the network.
func TestKMLIconsCarried(t *testing.T) {
	rows := []Row{{JCBH: "420101001", Lon: 114.3, Lat: 30.5, Team: "城西巡查组", AreaM2: 1000}}
	var k bytes.Buffer
	if err := KML(&k, rows); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(k.String(), "http://maps.") || strings.Contains(k.String(), "https://maps.") {
		t.Error("the KML loads its markers from the network")
	}
	if !strings.Contains(k.String(), "<href>data:image/png;base64,") {
		t.Error("the KML's markers are not data URIs")
	}
	var z bytes.Buffer
	if err := Bundle(&z, rows); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(z.Bytes()), int64(z.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var kml string
	icon := false
	for _, f := range zr.File {
		r, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		switch {
		case f.Name == KMLIconName:
			_, err := png.Decode(bytes.NewReader(b.Bytes()))
			icon = err == nil
		case strings.HasSuffix(f.Name, ".kml"):
			kml = b.String()
		}
	}
	if !icon {
		t.Errorf("the bundle lacks a PNG %s", KMLIconName)
	}
	if !strings.Contains(kml, "<href>"+KMLIconName+"</href>") || strings.Contains(kml, "http://maps.") {
		t.Error("the bundle's KML does not use the icon beside it")
	}
}
