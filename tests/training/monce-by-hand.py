#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""MoNCE worked out from the paper's formula alone (Zhan et al. 2022, eq. 2
and §3.2; METHODS.md §2), in float64 with the standard library only, for the
literal cases of test-losses.c's /losses/monce/by-hand.  Independent of
tests/reference/losses.py on purpose: a reference written by the same hands
can share a misreading.

    s_ij = q_i·k_j;  X_ij = s_ij ("hard") or 1 − s_ij ("easy"), X_ii = −10;
    K = e^{X/β};  u = v = 1, 50 times u_i = 1/Σ_j K_ij v_j, v_j = 1/Σ_i u_i K_ij;
    T_ij = u_i K_ij v_j;  w_ij = T_ij (query i, key j);
    ℓ_i = −log(e^{s_ii/τ} / (e^{s_ii/τ} + Q(P−1) Σ_{j≠i} w_ij e^{s_ij/τ}));
    L = mean_i ℓ_i.

Prints the float32 inputs and, per case, the loss with w = T and, to show the
case tells them apart, with w = Tᵀ.
"""
import math
import struct


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def unit_f32(a):
    n = math.sqrt(sum(x * x for x in a))
    return [f32(x / n) for x in a]


def monce(q, k, beta, tau, Q, cost, transposed=False, iterations=50):
    n = len(q)
    s = [[sum(a * b for a, b in zip(q[i], k[j])) for j in range(n)] for i in range(n)]
    X = [[-10.0 if i == j else s[i][j] if cost == "hard" else 1 - s[i][j]
          for j in range(n)] for i in range(n)]
    K = [[math.exp(X[i][j] / beta) for j in range(n)] for i in range(n)]
    u, v = [1.0] * n, [1.0] * n
    for _ in range(iterations):
        u = [1 / sum(K[i][j] * v[j] for j in range(n)) for i in range(n)]
        v = [1 / sum(u[i] * K[i][j] for i in range(n)) for j in range(n)]
    T = [[u[i] * K[i][j] * v[j] for j in range(n)] for i in range(n)]
    w = [[T[j][i] if transposed else T[i][j] for j in range(n)] for i in range(n)]
    total = 0.0
    for i in range(n):
        pos = math.exp(s[i][i] / tau)
        neg = sum(Q * (n - 1) * w[i][j] * math.exp(s[i][j] / tau) for j in range(n) if j != i)
        total += -math.log(pos / (pos + neg))
    return total / n


q = [unit_f32(x) for x in ([1, 0.2, 0.1], [0.3, 1, -0.2], [-0.5, 0.4, 1])]
k = [unit_f32(x) for x in ([0.9, 0.5, -0.3], [-0.2, 1, 0.6], [0.7, -0.4, 0.8])]
print("q", ", ".join("%.9gf" % x for row in q for x in row))
print("k", ", ".join("%.9gf" % x for row in k for x in row))
for cost, beta, tau, Q in (("hard", 0.5, 0.5, 1.0), ("easy", 0.5, 0.07, 2.0), ("hard", 0.1, 0.07, 1.0)):
    print("%s beta %g tau %g Q %g: w = T %.12g, w = Tt %.12g" % (
        cost, beta, tau, Q, monce(q, k, beta, tau, Q, cost), monce(q, k, beta, tau, Q, cost, True)))
