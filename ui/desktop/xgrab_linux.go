//go:build screenshot && linux && cgo

package desktop

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// findWindow returns the viewable window named name below w, or 0.
static Window findWindow(Display *d, Window w, const char *name) {
	char *wname = NULL;
	if (XFetchName(d, w, &wname) && wname) {
		int same = strcmp(wname, name) == 0;
		XFree(wname);
		XWindowAttributes a;
		if (same && XGetWindowAttributes(d, w, &a) && a.map_state == IsViewable) {
			return w;
		}
	}
	Window root, parent, *kids = NULL;
	unsigned int n = 0;
	if (!XQueryTree(d, w, &root, &parent, &kids, &n)) {
		return 0;
	}
	Window found = 0;
	for (unsigned int i = 0; i < n && !found; i++) {
		found = findWindow(d, kids[i], name);
	}
	if (kids) {
		XFree(kids);
	}
	return found;
}

static int ignoreErrors(Display *d, XErrorEvent *e) { return 0; }

// grab copies the window's pixels, as the screen shows them, as RGBA into
// a malloc'ed buffer. It reads the root window over the window's area
// (clipped to the screen), which never fails the way XGetImage on a
// partly covered or off-screen window does.
static unsigned char *grab(const char *name, int *w, int *h) {
	XSetErrorHandler(ignoreErrors);
	Display *d = XOpenDisplay(NULL);
	if (!d) {
		return NULL;
	}
	Window rootw = DefaultRootWindow(d);
	Window win = findWindow(d, rootw, name);
	unsigned char *out = NULL;
	XWindowAttributes a, ra;
	Window child;
	int x0, y0;
	if (win && XGetWindowAttributes(d, win, &a) && XGetWindowAttributes(d, rootw, &ra) &&
		XTranslateCoordinates(d, win, rootw, 0, 0, &x0, &y0, &child)) {
		if (x0 < 0) { a.width += x0; x0 = 0; }
		if (y0 < 0) { a.height += y0; y0 = 0; }
		if (x0 + a.width > ra.width) { a.width = ra.width - x0; }
		if (y0 + a.height > ra.height) { a.height = ra.height - y0; }
		XImage *img = a.width > 0 && a.height > 0 ? XGetImage(d, rootw, x0, y0, a.width, a.height, AllPlanes, ZPixmap) : NULL;
		if (img) {
			out = malloc((size_t)a.width * a.height * 4);
			for (int y = 0; y < a.height; y++) {
				for (int x = 0; x < a.width; x++) {
					unsigned long p = XGetPixel(img, x, y);
					unsigned char *o = out + ((size_t)y * a.width + x) * 4;
					o[0] = (p & img->red_mask) >> 16;
					o[1] = (p & img->green_mask) >> 8;
					o[2] = p & img->blue_mask;
					o[3] = 255;
				}
			}
			*w = a.width;
			*h = a.height;
			XDestroyImage(img);
		}
	}
	XCloseDisplay(d);
	return out;
}
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// grabWindow reads the named window's pixels back from the X server: what
// the user would see, after the GL driver drew and swapped. (Fyne's own
// Capture reads the GL front buffer, which Xvfb's software GL leaves empty.)
func grabWindow(title string) (image.Image, error) {
	name := C.CString(title)
	defer C.free(unsafe.Pointer(name))
	var w, h C.int
	buf := C.grab(name, &w, &h)
	if buf == nil {
		return nil, errors.New("no X display, or no visible window named " + title)
	}
	defer C.free(unsafe.Pointer(buf))
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	copy(img.Pix, unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(w)*int(h)*4))
	return img, nil
}
