package io.falconmind.center.app;
public final class Main { public static void main(String[] a) {} }
