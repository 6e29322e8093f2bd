package models

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Municipal boundaries for the fieldwork map (data/SOURCES.md). Only the registers with a
// boundary file get a map; the others show the province table alone.
//
//go:embed data/boundaries/*.geojson
var boundaryFiles embed.FS

var boundaryFileOf = map[string]string{
	"2017": "data/boundaries/gemeenten-2017.geojson",
	"2018": "data/boundaries/gemeenten-2018.geojson",
}

// Map is a register's municipalities drawn as SVG paths, projected and simplified once.
type Map struct {
	Width, Height int
	Shapes        []Shape // in file order
}

// Shape is one municipality's outline as the d attribute of an SVG path.
type Shape struct {
	Code string
	Path string
}

// mapWidth is the drawing's width in SVG units; the height follows from the projection.
const mapWidth = 560

// simplifyTolerance is how far (in SVG units) a simplified outline may stray: under a pixel
// at the drawn size, so the eye sees no difference while the page carries a fifth of the points.
const simplifyTolerance = 0.7

var maps sync.Map // register → *Map

// BoundaryMap returns register's map, or ErrNotFound when there is no boundary file for it.
func BoundaryMap(register string) (*Map, error) {
	if m, ok := maps.Load(register); ok {
		return m.(*Map), nil
	}
	file, ok := boundaryFileOf[register]
	if !ok {
		return nil, ErrNotFound
	}
	data, err := boundaryFiles.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := projectGeoJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	maps.Store(register, m)
	return m, nil
}

type geoFeature struct {
	Properties struct {
		Code string `json:"code"`
	} `json:"properties"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type point struct{ x, y float64 }

// projectGeoJSON draws a FeatureCollection in WGS84 with an equirectangular projection around
// the Netherlands' middle latitude: at this scale it is indistinguishable from RD New.
func projectGeoJSON(data []byte) (*Map, error) {
	var fc struct {
		Features []geoFeature `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, err
	}
	type feature struct {
		code  string
		polys [][][][2]float64
	}
	var fs []feature
	minLon, maxLon, minLat, maxLat := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, f := range fc.Features {
		var polys [][][][2]float64
		switch f.Geometry.Type {
		case "Polygon":
			var p [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				return nil, err
			}
			polys = [][][][2]float64{p}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
				return nil, err
			}
		default:
			continue
		}
		for _, p := range polys {
			for _, ring := range p {
				for _, c := range ring {
					minLon, maxLon = math.Min(minLon, c[0]), math.Max(maxLon, c[0])
					minLat, maxLat = math.Min(minLat, c[1]), math.Max(maxLat, c[1])
				}
			}
		}
		fs = append(fs, feature{f.Properties.Code, polys})
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("no polygons")
	}
	kx := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	scale := mapWidth / ((maxLon - minLon) * kx)
	m := &Map{Width: mapWidth, Height: int(math.Ceil((maxLat - minLat) * scale))}
	for _, f := range fs {
		var b strings.Builder
		for _, p := range f.polys {
			for _, ring := range p {
				pts := make([]point, len(ring))
				for i, c := range ring {
					pts[i] = point{(c[0] - minLon) * kx * scale, (maxLat - c[1]) * scale}
				}
				pts = simplify(pts, simplifyTolerance)
				if len(pts) < 4 { // a closed ring needs three corners and the closing point
					continue
				}
				writeRing(&b, pts[:len(pts)-1])
			}
		}
		if b.Len() > 0 {
			m.Shapes = append(m.Shapes, Shape{Code: f.code, Path: b.String()})
		}
	}
	return m, nil
}

// writeRing writes a closed ring in relative moves with one decimal; a minus sign separates
// numbers as well as a space does.
func writeRing(b *strings.Builder, pts []point) {
	r := func(v float64) float64 { return math.Round(v*10) / 10 }
	first := true
	put := func(v float64) {
		if !first && v >= 0 {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	}
	x, y := r(pts[0].x), r(pts[0].y)
	b.WriteByte('M')
	put(x)
	put(y)
	b.WriteByte('l')
	first = true
	for _, p := range pts[1:] {
		nx, ny := r(p.x), r(p.y)
		put(r(nx - x))
		put(r(ny - y))
		x, y = nx, ny
	}
	b.WriteByte('z')
}

// simplify is Douglas–Peucker: it keeps the points that lie further than tol from the line
// between the points kept around them.
func simplify(pts []point, tol float64) []point {
	if len(pts) < 3 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(pts) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, dist := -1, tol
		for i := s.a + 1; i < s.b; i++ {
			if d := segmentDistance(pts[i], pts[s.a], pts[s.b]); d > dist {
				far, dist = i, d
			}
		}
		if far >= 0 {
			keep[far] = true
			stack = append(stack, span{s.a, far}, span{far, s.b})
		}
	}
	out := pts[:0:0]
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

func segmentDistance(p, a, b point) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	if dx == 0 && dy == 0 {
		return math.Hypot(p.x-a.x, p.y-a.y)
	}
	t := ((p.x-a.x)*dx + (p.y-a.y)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p.x-a.x-t*dx, p.y-a.y-t*dy)
}
