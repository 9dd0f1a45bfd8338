// Package tiles cuts a scene into processing windows with a halo, names them
// with stable keys, and renders map tiles and image chips for the viewers.
package tiles
