"""Reference values for FedRad's interpolation kernels, computed with scipy.ndimage.map_coordinates.

Run with Debian's python3-scipy (scipy 1.10): `python3 make_reference.py`. Writes image.csv (x,y,z,value of a
7x6x5 test image) and samples.csv (i,j,k,nearest,linear,cubic) at random continuous indices inside the grid.
scipy conventions used: order=1 and order=3 with mode='mirror' (whole-sample symmetric boundaries, the same as
FedRad's cubic B-spline prefilter); order=0 rounds half up, so no sample lies exactly half-way between voxels.
"""
import numpy as np
from scipy import ndimage

rng = np.random.default_rng(20240601)
nx, ny, nz = 7, 6, 5
img = rng.integers(-50, 150, size=(nx, ny, nz)).astype(np.float64)
img[3, 2, 1] = 900.0  # a spike makes the spline's ringing visible
with open("image.csv", "w") as f:
    f.write("x,y,z,value\n")
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                f.write(f"{x},{y},{z},{img[x, y, z]:.1f}\n")
pts = rng.uniform([0, 0, 0], [nx - 1, ny - 1, nz - 1], size=(60, 3))
pts = np.vstack([pts, [[0, 0, 0], [nx - 1, ny - 1, nz - 1], [3, 2, 1], [0.25, 5, 4]]])
coords = pts.T
near = ndimage.map_coordinates(img, coords, order=0, mode="nearest")
lin = ndimage.map_coordinates(img, coords, order=1, mode="mirror")
cub = ndimage.map_coordinates(img, coords, order=3, mode="mirror", prefilter=True)
with open("samples.csv", "w") as f:
    f.write("i,j,k,nearest,linear,cubic\n")
    for p, a, b, c in zip(pts, near, lin, cub):
        f.write(f"{p[0]!r},{p[1]!r},{p[2]!r},{a!r},{b!r},{c!r}\n")
