"""The PyTorch side of `npm run bench:train`'s rows: one GANimation training iteration at the paper
preset (128 px, conv_dim 64, 6 residual blocks; critic conv_dim 64, 6 layers) or, with
BENCH_PRESET=light, the light one (96 px, conv_dim 32, 4 blocks; critic conv_dim 32, 5 layers),
batch BENCH_BATCH (default 4), on the CPU: one critic step (WGAN, AU regression, gradient penalty
with its second-order backward) and one generator step (adversarial, AU, cycle, attention and
smoothness terms), Adam on both. BENCH_PRESET=studio runs the studio recipe at the studio preset
(the identity-start generator at light's size; see studio_main).
Random data: the time does not depend on it. Not part of the project's tests (they never need
PyTorch); run `/usr/bin/python3 bench/pytorch-train.py` with Debian's python3-torch and
libopenblas0-pthread. Threads: BENCH_THREADS (default 2, this machine's cores)."""

import os
import time

import torch
import torch.nn as nn

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
ITERATIONS = int(os.environ.get("BENCH_ITERATIONS", "3"))
WARMUP = 2
PRESET = os.environ.get("BENCH_PRESET", "paper")
# Per preset: crop size, generator conv_dim and residual blocks, critic conv_dim and layers (src/main/model/config.ts).
SIZE, G_DIM, G_BLOCKS, D_DIM, D_LAYERS = {"paper": (128, 64, 6, 64, 6), "light": (96, 32, 4, 32, 5), "studio": (96, 32, 4, 32, 5)}[PRESET]
AUS, BATCH = 17, int(os.environ.get("BENCH_BATCH", "4"))


def norm_relu(channels):
    return [nn.InstanceNorm2d(channels, affine=True), nn.ReLU(inplace=True)]


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), *norm_relu(channels),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self, dim=64, blocks=6):
        super().__init__()
        layers = [nn.Conv2d(3 + AUS, dim, 7, 1, 3, bias=False), *norm_relu(dim)]
        for _ in range(2):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1, bias=False), *norm_relu(dim * 2)]
            dim *= 2
        layers += [Residual(dim) for _ in range(blocks)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(dim, dim // 2, 4, 2, 1, bias=False), *norm_relu(dim // 2)]
            dim //= 2
        self.body = nn.Sequential(*layers)
        self.color = nn.Conv2d(dim, 3, 7, 1, 3, bias=False)
        self.attention = nn.Conv2d(dim, 1, 7, 1, 3, bias=False)

    def forward(self, image, aus):
        maps = aus[:, :, None, None].expand(-1, -1, image.shape[2], image.shape[3])
        features = self.body(torch.cat([image, maps], dim=1))
        color, attention = torch.tanh(self.color(features)), torch.sigmoid(self.attention(features))
        return attention * image + (1 - attention) * color, attention


class Critic(nn.Module):
    def __init__(self, dim=64, layers=6):
        super().__init__()
        body = [nn.Conv2d(3, dim, 4, 2, 1), nn.LeakyReLU(0.01)]
        for _ in range(layers - 1):
            body += [nn.Conv2d(dim, dim * 2, 4, 2, 1), nn.LeakyReLU(0.01)]
            dim *= 2
        self.body = nn.Sequential(*body)
        self.source = nn.Conv2d(dim, 1, 3, 1, 1, bias=False)
        self.aus = nn.Conv2d(dim, AUS, SIZE // 2 ** layers, bias=False)

    def forward(self, image):
        h = self.body(image)
        return self.source(h), self.aus(h).view(image.shape[0], AUS)


def smoothness(a):
    return ((a[:, :, :, :-1] - a[:, :, :, 1:]).abs().mean() + (a[:, :, :-1, :] - a[:, :, 1:, :]).abs().mean())


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    g, d = Generator(G_DIM, G_BLOCKS), Critic(D_DIM, D_LAYERS)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 3, SIZE, SIZE) * 2 - 1
    real_aus, target_aus = torch.rand(BATCH, AUS), torch.rand(BATCH, AUS)
    totals = {"critic": 0.0, "generator": 0.0}
    for it in range(-WARMUP, ITERATIONS):
        if it == 0:
            totals = {k: 0.0 for k in totals}
        t0 = time.perf_counter()
        with torch.no_grad():
            fake, _ = g(real, target_aus)
        src_real, aus_real = d(real)
        src_fake, _ = d(fake)
        alpha = torch.rand(BATCH, 1, 1, 1)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        src_mixed, _ = d(mixed)
        grad, = torch.autograd.grad(src_mixed.sum(), mixed, create_graph=True)
        penalty = ((grad.view(BATCH, -1).norm(2, dim=1) - 1) ** 2).mean()
        loss_d = -src_real.mean() + src_fake.mean() + 4000 * ((aus_real - real_aus) ** 2).mean() / BATCH + 10 * penalty
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        t1 = time.perf_counter()
        fake, attention = g(real, target_aus)
        src_fake, aus_fake = d(fake)
        back, attention_back = g(fake, real_aus)
        loss_g = (-src_fake.mean() + 4000 * ((aus_fake - target_aus) ** 2).mean() / BATCH + 10 * (back - real).abs().mean()
                  + 0.1 * (attention.mean() + attention_back.mean()) + 1e-5 * (smoothness(attention) + smoothness(attention_back)))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        t2 = time.perf_counter()
        totals["critic"] += t1 - t0
        totals["generator"] += t2 - t1
    per = {k: v / ITERATIONS for k, v in totals.items()}
    print(f"PyTorch {torch.__version__}, {THREADS} threads, {PRESET} preset, batch {BATCH}, mean of {ITERATIONS} after {WARMUP} warm-up")
    print(f"| s/iteration | critic s | generator s |\n|---:|---:|---:|\n| {per['critic'] + per['generator']:.2f} | {per['critic']:.2f} | {per['generator']:.2f} |")


# The studio preset (src/main/model/residual-generator.ts): the same encoder and bottleneck, each
# upsampling a nearest-2x resize then a 3x3 conv computed, as the project does, as one 4x4 stride-2
# transposed conv of kernel M w M^T (4/9 of the FLOPs), and one 7x7 conv for both heads: the colour
# adds its delta to the input in tanh space, the attention starts at "keep".
RESIZE_TAPS = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=torch.float32)


class ResizeConv(nn.Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(outputs, inputs, 3, 3) * 0.05)

    def forward(self, x):
        kernel = RESIZE_TAPS @ self.weight @ RESIZE_TAPS.t()
        return nn.functional.conv_transpose2d(x, kernel.transpose(0, 1), stride=2, padding=1)


class StudioGenerator(nn.Module):
    def __init__(self, dim=32, blocks=4):
        super().__init__()
        layers = [nn.Conv2d(3 + AUS, dim, 7, 1, 3, bias=False), *norm_relu(dim)]
        for _ in range(2):
            layers += [nn.Conv2d(dim, dim * 2, 4, 2, 1, bias=False), *norm_relu(dim * 2)]
            dim *= 2
        layers += [Residual(dim) for _ in range(blocks)]
        for _ in range(2):
            layers += [ResizeConv(dim, dim // 2), *norm_relu(dim // 2)]
            dim //= 2
        self.body = nn.Sequential(*layers)
        self.heads = nn.Conv2d(dim, 4, 7, 1, 3)
        with torch.no_grad():
            self.heads.weight[:3].zero_()
            self.heads.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 4.0]))

    def forward(self, image, aus):
        maps = aus[:, :, None, None].expand(-1, -1, image.shape[2], image.shape[3])
        heads = self.heads(self.body(torch.cat([image, maps], dim=1)))
        color = torch.tanh(torch.atanh(image.clamp(-1 + 1e-3, 1 - 1e-3)) + heads[:, :3])
        attention = torch.sigmoid(heads[:, 3:])
        return attention * image + (1 - attention) * color, attention


def warp(image, index, weight):
    """The project's warp: each output pixel the weighted sum of 4 gathered source pixels (backward: scatter-add)."""
    b, c, h, w = image.shape
    taps = torch.gather(image.reshape(b, c, h * w), 2, index.expand(b, c, -1)) * weight
    return taps.reshape(b, c, h * w, 4).sum(3).reshape(b, c, h, w)


def studio_main():
    """One studio-recipe iteration as bench/train.ts counts it: a non-saturating critic step on the
    warped fakes, the lazy R1 step (every 16) counted at 1/16 of its time, and a generator step with
    geometry (the forward warp before G, the inverse warp into the cycle), the changed-area penalty,
    smoothness and the zero-edit reconstruction; Adam on both. The warp tables are random: the
    gathers' cost does not depend on where they point."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    g, d = StudioGenerator(G_DIM, G_BLOCKS), Critic(D_DIM, D_LAYERS)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 3, SIZE, SIZE) * 1.8 - 0.9
    real_aus, target_aus = torch.rand(BATCH, AUS), torch.rand(BATCH, AUS)
    tables = [(torch.randint(0, SIZE * SIZE, (BATCH, 1, 4 * SIZE * SIZE)), torch.rand(BATCH, 1, 4 * SIZE * SIZE) / 4) for _ in range(2)]
    forward_warp, inverse_warp = [lambda x, t=t: warp(x, *t) for t in tables]
    r1_every, softplus = 16, nn.functional.softplus
    totals = {"critic": 0.0, "generator": 0.0}
    for it in range(-WARMUP, ITERATIONS):
        if it == 0:
            totals = {k: 0.0 for k in totals}
        t0 = time.perf_counter()
        with torch.no_grad():
            fake, _ = g(forward_warp(real), target_aus)
        src_real, aus_real = d(real)
        src_fake, _ = d(fake)
        loss_d = softplus(-src_real).mean() + softplus(src_fake).mean() + 4000 * ((aus_real - real_aus) ** 2).mean() / BATCH
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        t1 = time.perf_counter()
        x = real.clone().requires_grad_(True)
        grad, = torch.autograd.grad(d(x)[0].sum(), x, create_graph=True)
        loss_r1 = (grad ** 2).sum((1, 2, 3)).mean() * 0.5 * r1_every
        opt_d.zero_grad()
        loss_r1.backward()
        opt_d.step()
        t2 = time.perf_counter()
        source = forward_warp(real)
        fake, attention = g(source, target_aus)
        src_fake, aus_fake = d(fake)
        back, attention_back = g(inverse_warp(fake), real_aus)
        own, _ = g(real, real_aus)
        loss_g = (softplus(-src_fake).mean() + 4000 * ((aus_fake - target_aus) ** 2).mean() / BATCH
                  + 10 * (back - inverse_warp(source)).abs().mean()
                  + 0.1 * ((1 - attention).mean() + (1 - attention_back).mean()) + 1e-5 * (smoothness(attention) + smoothness(attention_back))
                  + 10 * (own - real).abs().mean())
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        t3 = time.perf_counter()
        totals["critic"] += (t1 - t0) + (t2 - t1) / r1_every
        totals["generator"] += t3 - t2
    per = {k: v / ITERATIONS for k, v in totals.items()}
    print(f"PyTorch {torch.__version__}, {THREADS} threads, studio preset with the studio recipe, batch {BATCH}, mean of {ITERATIONS} after {WARMUP} warm-up")
    print(f"| s/iteration | critic s | generator s |\n|---:|---:|---:|\n| {per['critic'] + per['generator']:.2f} | {per['critic']:.2f} | {per['generator']:.2f} |")


if __name__ == "__main__":
    studio_main() if PRESET == "studio" else main()
