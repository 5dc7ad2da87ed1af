"""Quality metrics for gegl-cut translations that need no downloaded network.

METHODS.md section 5 lists them; each lives in its own module:

- ``swd``        sliced Wasserstein distance on Laplacian-pyramid 7x7 patches
                 (output against the style image: realism / style match);
- ``ssim``       SSIM on luminance (output against the input: content kept);
- ``synthetic``  the synthetic task with a known ground truth (a GEGL filter
                 applied to a second photo is the "style");
- ``images``     loading, resizing and colour conversions shared by the above;
- ``safetensors`` a tiny reader for gcut-train's model and checkpoint files
                 (the loss history lives in the checkpoint);
- ``run``        the driver: train, translate, print one table per recipe.

Only numpy and Pillow are needed (use /usr/bin/python3 on the build machines).
"""
