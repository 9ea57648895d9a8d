"""A light "studio" shader replacing pyrender's PBR mesh shader for the viewport.

On Mesa llvmpipe the fragment shader dominates the frame time (a dense body mesh
makes many tiny triangles, each shaded in 4x4-pixel blocks), so the viewport
lights per vertex (Gouraud; the body has 13.7k vertices for triangles of a few
pixels, so it looks the same as per-pixel lighting) with wrapped-Lambert diffuse,
Blinn-Phong specular and a sky/ground ambient, instead of pyrender's per-pixel
Cook-Torrance loop, and without pyrender's per-vertex matrix inverse. It reads the same uniforms and attribute layout pyrender sets
(``material.base_color_factor``, ``material.emissive_factor``,
``directional_lights[i]``, ``ambient_light``, ``cam_pos``, ``M``, ``V``, ``P``);
pyrender silently skips uniforms a shader does not declare.

Colour semantics: ``(lighting(base) + emissive) * vertex_rgb``, alpha
``base.a * vertex_a``, output gamma-encoded (so inputs are linear colours).
With a base-colour texture (``HAS_BASE_COLOR_TEX``, used by
:mod:`app.viewers.textured`) the vertex stage passes the diffuse and specular
light sums and the fragment stage multiplies the (sRGB-decoded) texel in.
"""
from __future__ import annotations

import os
import re

from app.viewers import gl_platform

gl_platform.configure()  # before the first OpenGL import

from pyrender.shader_program import ShaderProgram, ShaderProgramCache  # noqa: E402

STUDIO_VERT = """#version 330 core
struct DirectionalLight { vec3 color; float intensity; vec3 direction; };
struct Material {
    vec3 emissive_factor; vec4 base_color_factor; float roughness_factor;
#ifdef HAS_BASE_COLOR_TEX
    sampler2D base_color_texture;
#endif
};
layout(location = 0) in vec3 position;
#ifdef NORMAL_LOC
layout(location = NORMAL_LOC) in vec3 normal;
#endif
#ifdef COLOR_0_LOC
layout(location = COLOR_0_LOC) in vec4 color_0;
#endif
#ifdef HAS_BASE_COLOR_TEX
layout(location = TEXCOORD_0_LOC) in vec2 texcoord_0;
out vec2 uv_0;
out vec3 lit;       // multiplies base * texture in the fragment shader
out vec3 lit_add;   // specular + emissive
#endif
layout(location = INST_M_LOC) in mat4 inst_m;
uniform mat4 M;
uniform mat4 V;
uniform mat4 P;
uniform Material material;
uniform DirectionalLight directional_lights[MAX_DIRECTIONAL_LIGHTS];
uniform int n_directional_lights;
uniform vec3 cam_pos;
uniform vec3 ambient_light;
out vec4 shade;
void main()
{
    mat4 model = M * inst_m;
    vec4 world = model * vec4(position, 1.0);
    gl_Position = P * (V * world);
    vec4 base = material.base_color_factor;
    vec3 v = normalize(cam_pos - world.xyz);
#ifdef NORMAL_LOC
    vec3 n = normalize(mat3(model) * normal);  // rigid or uniformly scaled models only
#else
    vec3 n = v;
#endif
    float shininess = mix(64.0, 8.0, material.roughness_factor);
    float spec_strength = 0.25 * (1.0 - material.roughness_factor);
    vec3 color = base.rgb * ambient_light * mix(0.55, 1.15, 0.5 + 0.5 * n.y);  // sky/ground ambient
#ifdef HAS_BASE_COLOR_TEX
    vec3 diffuse_sum = ambient_light * mix(0.55, 1.15, 0.5 + 0.5 * n.y);
    vec3 spec_sum = vec3(0.0);
#endif
    for (int i = 0; i < n_directional_lights; i++) {
        vec3 l = -directional_lights[i].direction;
        vec3 radiance = directional_lights[i].color * directional_lights[i].intensity;
        float ndl = dot(n, l);
        float diffuse = max((ndl + 0.25) * 0.8, 0.0);  // wrapped Lambert: softer terminator
        vec3 h = normalize(l + v);
        float spec = ndl > 0.0 ? spec_strength * pow(max(dot(n, h), 0.0), shininess) : 0.0;
        color += radiance * (base.rgb * diffuse * 0.3183 + spec);
#ifdef HAS_BASE_COLOR_TEX
        diffuse_sum += radiance * diffuse * 0.3183;
        spec_sum += radiance * spec;
#endif
    }
    color += material.emissive_factor;
    float alpha = base.a;
#ifdef COLOR_0_LOC
    color *= color_0.rgb;
    alpha *= color_0.a;
#endif
    shade = vec4(pow(clamp(color, 0.0, 1.0), vec3(1.0 / 2.2)), alpha);
#ifdef HAS_BASE_COLOR_TEX
    uv_0 = texcoord_0;
    lit = diffuse_sum;
    lit_add = spec_sum + material.emissive_factor;
#ifdef COLOR_0_LOC
    lit *= color_0.rgb;
    lit_add *= color_0.rgb;
#endif
#endif
}
"""

STUDIO_FRAG = """#version 330 core
in vec4 shade;
#ifdef HAS_BASE_COLOR_TEX
struct Material {
    vec3 emissive_factor; vec4 base_color_factor; float roughness_factor;
    sampler2D base_color_texture;
};
uniform Material material;
in vec2 uv_0;
in vec3 lit;
in vec3 lit_add;
#endif
out vec4 frag_color;
void main()
{
#ifdef HAS_BASE_COLOR_TEX
    vec3 albedo = material.base_color_factor.rgb * pow(texture(material.base_color_texture, uv_0).rgb, vec3(2.2));
    frag_color = vec4(pow(clamp(albedo * lit + lit_add, 0.0, 1.0), vec3(1.0 / 2.2)), shade.a);
#else
    frag_color = shade;
#endif
}
"""

SOURCES = {"studio.vert": STUDIO_VERT, "studio.frag": STUDIO_FRAG}
_IFDEF = re.compile(r"#ifdef\s+([a-zA-Z_][a-zA-Z_0-9]*)\s*$", re.MULTILINE)
_IFNDEF = re.compile(r"#ifndef\s+([a-zA-Z_][a-zA-Z_0-9]*)\s*$", re.MULTILINE)


class _InlineShaderProgram(ShaderProgram):
    """A pyrender ShaderProgram whose sources come from :data:`SOURCES` instead of files."""

    def _load(self, shader_filename):
        name = os.path.basename(shader_filename)
        if name not in SOURCES:
            return super()._load(shader_filename)
        text = _IFDEF.sub(lambda m: "#if 1" if m.group(1) in self.defines else "#if 0", SOURCES[name])
        text = _IFNDEF.sub(lambda m: "#if 0" if m.group(1) in self.defines else "#if 1", text)
        for define, value in self.defines.items():
            text = text.replace(define, str(value))
        return text


class StudioShaderCache(ShaderProgramCache):
    """Program cache that swaps pyrender's lit mesh shaders (mesh.vert/mesh.frag) for the studio ones."""

    def get_program(self, vertex_shader, fragment_shader, geometry_shader=None, defines=None):
        if vertex_shader == "mesh.vert" and fragment_shader == "mesh.frag" and geometry_shader is None:
            defines = dict(defines or {})
            key = ("studio", tuple(sorted(defines.items())))
            program = self._program_cache.get(key)
            if program is None:
                program = _InlineShaderProgram(vertex_shader="studio.vert", fragment_shader="studio.frag",
                                               geometry_shader=None, defines=defines)
                self._program_cache[key] = program
            return program
        return super().get_program(vertex_shader, fragment_shader, geometry_shader, defines)
