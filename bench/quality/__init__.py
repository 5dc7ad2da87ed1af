"""Quality metrics for gegl-cut translations that need no downloaded network.

METHODS.md section 5 lists them; each lives in its own module:

- ``swd``        sliced Wasserstein distance on Laplacian-pyramid 7x7 patches
                 (output against the style image: realism / style match);
- ``ssim``       SSIM on luminance (output against the input: content kept);
- ``metrics``    the public benchmark's scores: SWD, SSIM, edge correlation
                 and CIELAB colour distance of one output;
- ``synthetic``  the synthetic task with a known ground truth (a GEGL filter
                 applied to a second photo is the "style");
- ``images``     loading, resizing and colour conversions shared by the above;
- ``imageset``   the benchmark's photo x painting pairs (pairs.json, images/);
- ``safetensors`` a tiny reader for gcut-train's model and checkpoint files
                 (the loss history lives in the checkpoint);
- ``tools``      paths of the built tools and recipes, measured child runs;
- ``contact_sheet`` rows of labelled images, for a person to judge;
- ``run``        one recipe on the sample pair and the synthetic task;
- ``benchmark``  the public benchmark: recipes against G'MIC Stylize and the
                 untouched photo on 12 pairs (README.md).

Only numpy and Pillow are needed (use /usr/bin/python3 on the build machines).
"""
