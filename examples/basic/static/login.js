// The login page: post the form as JSON, keep the token, go home.
"use strict";

const form = document.getElementById("login");
const error = document.getElementById("error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const body = JSON.stringify({
    name: document.getElementById("name").value,
    password: document.getElementById("password").value,
  });
  try {
    const res = await fetch("/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    if (!res.ok) {
      error.textContent = res.status === 401 ? "Wrong name or password." : "Login failed.";
      return;
    }
    const { token } = await res.json();
    localStorage.setItem("token", token);
    location.assign("/");
  } catch (e) {
    error.textContent = "The server cannot be reached.";
  }
});
